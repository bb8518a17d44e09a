/**
 * A cell of the live list's first column (#14): the row's editor (avatar ringed, with a lock) and
 * viewers (small avatars), and what happened to the row while the page was open ("Updated by
 * Bob", "New, by Bob", "Deleted by Bob"). Filled from the list page's context (CollaboratorList);
 * empty anywhere else. Registered by the feature as the column's list component.
 */
import React from 'react'
import { Box, Icon, Text } from '@adminjs/design-system'
import type { BasePropertyProps } from 'adminjs'
import { useListLive, type ListLive } from './hooks/list-live-context'
import { useText } from './hooks/useTexts'
import { UserAvatar } from './PresenceBar'

const LiveCell: React.FC<{ live: ListLive; recordId: string }> = ({ live, recordId }) => {
  const { text } = useText()
  const row = live.rows.get(recordId)
  const change = live.changes.get(recordId)
  const editor = row?.lease?.user ?? null
  const viewers = (row?.people ?? []).filter(({ user }) => user.id !== editor?.id).map(({ user }) => user)
  const happened =
    change?.kind === 'deleted'
      ? text('listDeletedText', { name: change.by.name })
      : change?.kind === 'created'
        ? text('listCreatedText', { name: change.by.name })
        : change
          ? text('listUpdatedText', { name: change.by.name })
          : null
  return (
    <Box
      flex
      flexDirection="row"
      alignItems="center"
      flexWrap="wrap"
      data-testid="collaborator-list-cell"
      data-record-id={recordId}
      data-editor-id={editor?.id ?? ''}
      data-viewer-ids={viewers.map((viewer) => viewer.id).join(',')}
      data-change={change?.kind ?? ''}
    >
      {editor ? (
        <Box
          flex
          alignItems="center"
          mr="sm"
          role="img"
          aria-label={text('listEditingText', { name: editor.name })}
          title={text('listEditingText', { name: editor.name })}
          data-testid="collaborator-list-editor"
        >
          <Box p="1px" border="2px solid" borderColor="success" style={{ borderRadius: '50%' }}>
            <UserAvatar user={editor} sizePx={24} />
          </Box>
          <Icon icon="Lock" size={14} ml="xs" />
        </Box>
      ) : null}
      {viewers.length > 0 ? (
        <Box
          flex
          alignItems="center"
          mr="sm"
          role="img"
          aria-label={text('listViewersText', { names: viewers.map((viewer) => viewer.name).join(', ') })}
          title={text('listViewersText', { names: viewers.map((viewer) => viewer.name).join(', ') })}
          data-testid="collaborator-list-viewers"
        >
          {viewers.slice(0, 3).map((viewer) => (
            <Box key={viewer.id} mr="xs">
              <UserAvatar user={viewer} sizePx={20} />
            </Box>
          ))}
          {viewers.length > 3 ? <Text variant="sm">+{viewers.length - 3}</Text> : null}
        </Box>
      ) : null}
      {happened ? (
        <Text as="span" variant="sm" color={change?.kind === 'deleted' ? 'error' : 'grey80'} fontWeight="bold" data-testid="collaborator-list-change">
          {happened}
        </Text>
      ) : null}
    </Box>
  )
}

const CollaboratorListCell: React.FC<BasePropertyProps> = ({ record }) => {
  const live = useListLive()
  const recordId = String(record?.id ?? '')
  return live && recordId ? <LiveCell live={live} recordId={recordId} /> : null
}

export default CollaboratorListCell

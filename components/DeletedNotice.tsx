/**
 * Says the record was deleted, by whom and when ("Deleted by Bob Chen at 10:41"), above a page that
 * now only shows it as it was: sticky over the form like the editor's overlay, and an alert, so a
 * screen reader says it at once. On the edit page it also says the user's unsaved input is kept
 * (as a draft, and still in the read-only form to copy from). A link leads back to the list.
 */
import React from 'react'
import { Box, Link, MessageBox, Text } from '@adminjs/design-system'
import { adminRootPath } from './hooks/socket-client'
import type { RecordDeletion } from './hooks/useRecordDeleted'
import { useText } from './hooks/useTexts'

export interface DeletedNoticeProps {
  deletion: RecordDeletion
  resourceId: string
  /** The user's unsaved changes were kept as a draft. @default false */
  keptInput?: boolean
}

const listHref = (resourceId: string) => `${adminRootPath().replace(/\/+$/, '')}/resources/${encodeURIComponent(resourceId)}`

const DeletedNotice: React.FC<DeletedNoticeProps> = ({ deletion, resourceId, keptInput = false }) => {
  const { text, time, dateTime } = useText()
  const { by, atMs } = deletion
  const when = atMs === null ? '' : new Date(atMs).toDateString() === new Date().toDateString() ? time(atMs) : dateTime(atMs)
  const message = by && atMs !== null ? text('recordDeletedText', { name: by.name, time: when }) : text('recordGoneText')
  return (
    <Box data-testid="collaborator-deleted" data-by={by?.id ?? ''} role="alert" position="sticky" top={0} zIndex={11} mb="lg">
      <MessageBox variant="danger" icon="Trash2" message={message}>
        <Text>{text('recordDeletedPageText')}</Text>
        {keptInput ? <Text data-testid="collaborator-deleted-kept">{text('recordDeletedKeptText')}</Text> : null}
        <Box mt="default">
          <Link href={listHref(resourceId)} data-testid="collaborator-deleted-list">
            {text('recordDeletedListText')}
          </Link>
        </Box>
      </MessageBox>
    </Box>
  )
}

export default DeletedNotice

/**
 * The show action of a resource with collaboration: AdminJS's own Show, with who is on the record
 * above it (the editor marked) and the record kept current: when anyone saves it, the page fetches
 * it again and shows it in place, saying who saved. It joins with intent `show`, so it never takes
 * the lock.
 * Registered by the feature as the `show` action component under the name 'CollaboratorShow'.
 */
import React, { useCallback, useEffect, useState } from 'react'
import { Show, type ActionProps, type RecordJSON } from 'adminjs'
import { Box, MessageBox } from '@adminjs/design-system'
import type { ComponentConfig } from '../src/component-config'
import CollaborationProvider from './CollaborationProvider'
import CollaboratorChat from './chat/CollaboratorChat'
import { configOf } from './config'
import LockNotices from './LockNotices'
import { useHeaderActionDisabled } from './hooks/useHeaderActionDisabled'
import PresenceBar from './PresenceBar'
import SavedNotice from './SavedNotice'
import { lockRole } from './hooks/lock-role'
import { useFreshRecord } from './hooks/useFreshRecord'
import { useLiveUpdates } from './hooks/useLiveUpdates'
import { usePresence } from './hooks/usePresence'
import { useRecordSession } from './hooks/useRecordSession'
import { useHolderActivity } from './hooks/useHolderActivity'
import { TextsProvider, useText } from './hooks/useTexts'

type LiveShowProps = ActionProps & { record: RecordJSON; config: ComponentConfig }

const LiveShow: React.FC<LiveShowProps> = ({ config, record: loaded, ...props }) => {
  const resourceId = props.resource.id
  const recordId = String(loaded.id)
  const ref = { resourceId, recordId }
  const { text } = useText()
  // Joins without claiming: the lease is shown, never asked for.
  const session = useRecordSession({ ...ref, intent: 'show' })
  const { lease, me, joined } = session
  const role = lockRole(session.status, joined, lease, 'show')
  const presence = usePresence({ ...ref, joined })
  const holderActivity = useHolderActivity(ref, lease)
  const fresh = useFreshRecord(resourceId, recordId, 'show')
  const [record, setRecord] = useState(loaded)
  const heldByOther = lease !== null && me !== null && lease.user.id !== me.id
  useHeaderActionDisabled('delete', heldByOther, text('deleteRefusedText', { editorName: lease?.user.name ?? '' }))

  // AdminJS hands a new record after its own fetches; that one is the newest.
  useEffect(() => setRecord(loaded), [loaded])

  const { fetchFresh } = fresh
  const reload = useCallback(async (): Promise<boolean> => {
    const shown = await fetchFresh()
    if (shown) setRecord(shown)
    return shown !== null
  }, [fetchFresh])

  // Nothing to keep on a show page: every save, this user's other tabs' included, is news here.
  const live = useLiveUpdates({ ...ref, isOwnSave: () => false, reload })

  const errors = [
    ...(session.error ? [{ error: session.error, dismiss: session.dismissError }] : []),
    ...(fresh.error ? [{ error: fresh.error, dismiss: fresh.dismissError }] : []),
  ]

  return (
    <Box data-testid="collaborator-show" data-role={role} flex flexDirection="column" flexGrow={1}>
      <PresenceBar users={presence} editorUserId={lease?.user.id ?? null} editorActivity={holderActivity}>
        {config.enableChat ? <CollaboratorChat {...ref} joined={joined} presence={presence} maxLength={config.chatMaxLength} /> : null}
      </PresenceBar>
      {/* canEdit: nothing here waits for the lock, so going offline is said as a plain notice. */}
      <LockNotices role={role} canEdit editorBanner={false} errors={errors} />
      {live.savedBy ? <SavedNotice by={live.savedBy} onDismiss={live.dismiss} /> : null}
      <Show {...props} record={record} />
    </Box>
  )
}

const CollaboratorShow: React.FC<ActionProps> = (props) => {
  const config = configOf(props)
  const { record } = props
  if (!config || !record) {
    // A wiring mistake, not a user's: say so and fall back to the plain page.
    return (
      <>
        <Box data-testid="collaborator-error" data-code="not_configured" mb="lg">
          <MessageBox size="sm" variant="danger" message="adminjs-collaborator: this show action has no collaboration config (action.custom.collaborator) or no record." />
        </Box>
        <Show {...props} />
      </>
    )
  }
  return (
    <TextsProvider texts={config.texts} resourceId={props.resource.id}>
      <CollaborationProvider socketPath={config.socketPath}>
        <LiveShow key={`${props.resource.id}/${String(record.id)}`} {...props} record={record} config={config} />
      </CollaborationProvider>
    </TextsProvider>
  )
}

export default CollaboratorShow

/**
 * The show action of a resource with collaboration: AdminJS's own Show, with who is on the record
 * above it (the editor marked) and the record kept current: when anyone saves it, the page fetches
 * it again and shows it in place, saying who saved which fields. When anyone deletes it, the page
 * says who and when, and keeps showing it as it was. It joins with intent `show`, so it never
 * takes the lock.
 * Registered by the feature as the `show` action component under the name 'CollaboratorShow'.
 */
import React, { useCallback, useEffect, useRef, useState } from 'react'
import { Show, type ActionProps, type RecordJSON } from 'adminjs'
import { Box, MessageBox } from '@adminjs/design-system'
import type { ComponentConfig } from '../src/component-config'
import { ErrorCode } from '../src/protocol'
import CollaborationProvider from './CollaborationProvider'
import CollaboratorChat from './chat/CollaboratorChat'
import DeletedNotice from './DeletedNotice'
import { configOf } from './config'
import LockNotices from './LockNotices'
import { useHeaderActionDisabled } from './hooks/useHeaderActionDisabled'
import PresenceBar from './PresenceBar'
import SavedNotice from './SavedNotice'
import { lockRole } from './hooks/lock-role'
import { useChangeMarks, useFieldMarks } from './hooks/useFieldMarks'
import { useFreshRecord } from './hooks/useFreshRecord'
import { useLiveUpdates } from './hooks/useLiveUpdates'
import { usePresence } from './hooks/usePresence'
import { useRecordDeleted } from './hooks/useRecordDeleted'
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
  const deleted = useRecordDeleted(ref, session.error)
  useHeaderActionDisabled('delete', heldByOther || deleted !== null, deleted ? text('recordGoneText') : text('deleteRefusedText', { editorName: lease?.user.name ?? '' }))
  // Editing a deleted record leads nowhere.
  useHeaderActionDisabled('edit', deleted !== null, text('recordGoneText'))

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
  // The fields others changed since this page opened, marked as on the edit page.
  const shownRef = useRef<HTMLDivElement>(null)
  useFieldMarks(shownRef, useChangeMarks(live.changedByOthers), 'show')

  // A join answered not_found because the record is gone: the deleted notice says it better.
  const joinGone = deleted !== null && session.error?.code === ErrorCode.NotFound
  const errors = [
    ...(session.error && !joinGone ? [{ error: session.error, dismiss: session.dismissError }] : []),
    ...(fresh.error ? [{ error: fresh.error, dismiss: fresh.dismissError }] : []),
  ]

  return (
    <Box data-testid="collaborator-show" data-role={role} flex flexDirection="column" flexGrow={1}>
      <PresenceBar users={presence} editorUserId={lease?.user.id ?? null} editorActivity={holderActivity}>
        {config.enableChat ? <CollaboratorChat {...ref} joined={joined} presence={presence} maxLength={config.chatMaxLength} /> : null}
      </PresenceBar>
      {/* canEdit: nothing here waits for the lock, so going offline is said as a plain notice. */}
      <LockNotices role={role} canEdit editorBanner={false} errors={errors} />
      {deleted ? <DeletedNotice deletion={deleted} resourceId={resourceId} /> : null}
      {/* Who saved it last is no news once it is gone. */}
      {live.saved && !deleted ? <SavedNotice by={live.saved.by} fields={live.saved.fields} resourceId={resourceId} onDismiss={live.dismiss} /> : null}
      <div ref={shownRef} style={{ display: 'flex', flexDirection: 'column', flexGrow: 1 }}>
        <Show {...props} record={record} />
      </div>
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

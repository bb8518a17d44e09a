/**
 * The edit action of a resource with collaboration: AdminJS's edit form, with its state owned here.
 * The tab holding the record's lock edits as usual under a slim banner; everyone else sees the
 * same form read-only (readable, searchable and copyable, but nothing typed or clicked reaches
 * it: see useReadOnlyForm), under an overlay naming the editor, with a button to ask them to finish. Above it: who is on the record, requests for the editor, a draft to
 * restore, and who saved the version the form now shows.
 * Registered by the feature as the `edit` action component under the name 'CollaboratorEdit'.
 */
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { Edit, type ActionProps, type RecordJSON, type ResourceJSON } from 'adminjs'
import { Box, MessageBox } from '@adminjs/design-system'
import type { ComponentConfig } from '../src/component-config'
import { ErrorCode, TAB_TOKEN_PARAM, type RecordSavedEvent } from '../src/protocol'
import AttentionButton from './AttentionButton'
import AttentionNotices from './AttentionNotices'
import CollaborationProvider from './CollaborationProvider'
import CollaboratorChat from './chat/CollaboratorChat'
import { configOf } from './config'
import DeletedNotice from './DeletedNotice'
import DraftNotice from './DraftNotice'
import EditForm from './EditForm'
import IdleNotices, { TakeOverControl } from './IdleNotices'
import LockNotices, { isRefusal } from './LockNotices'
import { useHeaderActionDisabled } from './hooks/useHeaderActionDisabled'
import LockOverlay, { LockCover } from './LockOverlay'
import PresenceBar from './PresenceBar'
import QueueControls, { queueHeadline } from './QueueControls'
import SavedNotice from './SavedNotice'
import { useAttentionInbox } from './hooks/useAttentionInbox'
import { useAttentionRequest } from './hooks/useAttentionRequest'
import { useBackgroundAlert } from './hooks/useBackgroundAlert'
import { useDraft, type DraftControl } from './hooks/useDraft'
import { useEditForm } from './hooks/useEditForm'
import { useEditLock } from './hooks/useEditLock'
import { useChangeMarks, useFieldMarks } from './hooks/useFieldMarks'
import { useFreshRecord } from './hooks/useFreshRecord'
import { useIdle, useTakeOverPolicy } from './hooks/useIdle'
import { useHolderActivity } from './hooks/useHolderActivity'
import { useLiveUpdates } from './hooks/useLiveUpdates'
import { useLockEnded } from './hooks/useLockEnded'
import LockEndedNotice from './LockEndedNotice'
import { usePresence } from './hooks/usePresence'
import { useQueue } from './hooks/useQueue'
import { useRecordSession } from './hooks/useRecordSession'
import { useReadOnlyForm } from './hooks/useReadOnlyForm'
import { useRecordDeleted } from './hooks/useRecordDeleted'
import { useReloadMarker } from './hooks/reload-claim'
import { socketPathFor } from './hooks/socket-client'
import { useTabToken } from './hooks/useTabToken'
import { TextsProvider, useText } from './hooks/useTexts'

/**
 * Params a draft must never hold: password properties, and anything named like a password (a
 * feature such as @adminjs/passwords adds its field with a custom component, not the type).
 */
function privateParams(resource: ResourceJSON): (key: string) => boolean {
  const paths = Object.values(resource.properties)
    .filter((property) => property.type === 'password')
    .map((property) => property.propertyPath)
  return (key) => /password/i.test(key) || paths.some((path) => key === path || key.startsWith(`${path}.`))
}

type LockedEditProps = ActionProps & { record: RecordJSON; config: ComponentConfig }

/** Keeps AdminJS's layout when the form sits in a drawer (a flex column down to the footer). */
const columnStyle = { display: 'flex', flexDirection: 'column', flexGrow: 1 } as const

const LockedEdit: React.FC<LockedEditProps> = ({ config, ...props }) => {
  const resourceId = props.resource.id
  const recordId = String(props.record.id)
  const ref = { resourceId, recordId }
  const { text } = useText()
  const tabToken = useTabToken()
  const session = useRecordSession({ ...ref, intent: 'edit' })
  const lockEnded = useLockEnded(session)
  // Deleted (by anyone, this user's other tab included): the page only shows it as it was.
  const deleted = useRecordDeleted(ref, session.error)
  const lock = useEditLock(session, { blockEditing: config.blockEditing, claimPaused: lockEnded.ended !== null || deleted !== null })
  // A reload of this tab claims the lock back before the page has rendered (see reload-claim).
  useReloadMarker(ref, lock.role === 'editor', socketPathFor(config.socketPath))
  const queue = useQueue(session, { role: lock.role, claim: lock.claim })
  // Says "unsaved changes" to the others; reads the draft's form, which exists a few lines on.
  const isDirtyRef = useRef<() => boolean>(() => false)
  const idle = useIdle(
    session,
    lock.role,
    useCallback(() => isDirtyRef.current(), []),
  )
  const holderActivity = useHolderActivity(ref, lock.lease)
  const takeOverPolicy = useTakeOverPolicy(session, lock)
  const presence = usePresence({ ...ref, joined: session.joined })
  const fresh = useFreshRecord(resourceId, recordId, 'edit')
  const locked = !lock.canEdit || deleted !== null
  // The server refuses a delete while another user holds the record; say so before the click.
  useHeaderActionDisabled(
    'delete',
    lock.role === 'viewer' || deleted !== null,
    deleted ? text('recordGoneText') : text('deleteRefusedText', { editorName: lock.lease?.user.name ?? '' }),
  )

  // The form needs the draft (to forget it once saved) and the draft reads the form.
  const draftRef = useRef<DraftControl | null>(null)
  const form = useEditForm(props.record, resourceId, {
    // Only the submitted params carry the token, so the server can tell this tab from the user's
    // other tabs; the guard removes it before the database sees the params.
    submitParams: (): Record<string, string> => (config.blockEditing ? { [TAB_TOKEN_PARAM]: tabToken } : {}),
    onSaved: () => {
      draftRef.current?.discard()
      // The user saved the form as they saw it: others' earlier changes are no longer news.
      clearChangedRef.current()
      // The saved record becomes the form's base once rendered: then nothing is unsaved.
      setTimeout(recheckRef.current, 50)
    },
  })
  const isPrivate = useMemo(() => privateParams(props.resource), [props.resource])
  const draft = useDraft({ ...ref, userId: lock.me?.id ?? null, editable: lock.canEdit, form, isPrivate })
  draftRef.current = draft
  isDirtyRef.current = draft.isDirty
  const recheckRef = useRef(idle.recheck)
  recheckRef.current = idle.recheck
  // A record loaded into the form (after a hand-over, a save elsewhere) or a draft laid over it.
  useEffect(() => recheckRef.current(), [form.formKey, form.record])
  const { storeIfDirty } = draft

  // The record was deleted: what the user typed goes to the draft and stays in the read-only form,
  // to copy from (not reverted, as a lost lock does: there is no later edit to lay it over).
  const [keptInput, setKeptInput] = useState(false)
  const isDeleted = deleted !== null
  useEffect(() => {
    if (isDeleted) setKeptInput(storeIfDirty())
  }, [isDeleted, storeIfDirty])
  const { fetchFresh } = fresh
  const { load } = form

  /** Shows the record as saved now; whatever the user typed goes to the draft first. */
  const reload = useCallback(async (): Promise<boolean> => {
    const record = await fetchFresh()
    if (!record) return false
    storeIfDirty()
    load(record)
    return true
  }, [fetchFresh, storeIfDirty, load])

  // This tab got the lock after someone else had it (or handed it over): start from saved data.
  useEffect(() => {
    if (lock.gainedAfterWaiting > 0) void reload()
  }, [lock.gainedAfterWaiting, reload])

  const live = useLiveUpdates({
    ...ref,
    // The editor's own save answers with the new record; only other tabs need to fetch it.
    isOwnSave: (event: RecordSavedEvent) => lock.role === 'editor' && event.by.id === lock.me?.id,
    reload: () => {
      storeIfDirty()
      return reload()
    },
  })

  const clearChangedRef = useRef(live.clearChanged)
  clearChangedRef.current = live.clearChanged

  const attention = useAttentionRequest(ref)
  const inbox = useAttentionInbox({
    ...ref,
    active: lock.role === 'editor',
    presentUserIds: lock.joined ? new Set(presence.map(({ user }) => user.id)) : null,
  })

  // A tab in the background hears of its turn, and of viewers asking for the record, by its title
  // (and a browser notification, if the user allowed them).
  useBackgroundAlert(queue.turns > 0 ? { key: `turn:${queue.turns}`, title: text('queueTurnTitleText'), body: text('queueTurnBodyText') } : null)
  const lastAsked = inbox.requests[inbox.requests.length - 1]
  useBackgroundAlert(
    lastAsked
      ? {
          key: `attention:${lastAsked.fromTabId}:${lastAsked.atMs}`,
          title: text('attentionTitleText', { username: lastAsked.from.name }),
          body: text('notificationMessage', { username: lastAsked.from.name }),
        }
      : null,
  )

  // Read-only, not removed: a viewer reads, searches and copies the record, and nothing reaches it.
  const readOnlyRef = useReadOnlyForm<HTMLDivElement>(locked)

  // Fields others changed since this page loaded the record, marked in the form (see useFieldMarks).
  useFieldMarks(readOnlyRef, useChangeMarks(live.changedByOthers), 'edit')

  // A join answered not_found because the record is gone: the deleted notice says it better.
  const joinGone = deleted !== null && lock.error?.code === ErrorCode.NotFound
  const errors = [
    ...(lock.error && !joinGone ? [{ error: lock.error, dismiss: lock.dismissError }] : []),
    ...(fresh.error ? [{ error: fresh.error, dismiss: fresh.dismissError }] : []),
    ...(attention.error ? [{ error: attention.error, dismiss: attention.dismissError }] : []),
    ...(inbox.error ? [{ error: inbox.error, dismiss: inbox.dismissError }] : []),
    ...(queue.error ? [{ error: queue.error, dismiss: queue.dismissError }] : []),
  ]
  // Offered once the form is this user's again and holds the latest record, so a restore is laid
  // over the record they will save, not over one about to be replaced.
  const offeredDraft = lock.canEdit && !fresh.loading && !deleted ? draft.draft : null
  const canAskEditor = lock.role === 'viewer' && lock.lease !== null && !deleted

  return (
    <Box data-testid="collaborator-status" data-role={lock.role} flex flexDirection="column" flexGrow={1}>
      <PresenceBar users={presence} editorUserId={lock.lease?.user.id ?? null} editorActivity={holderActivity}>
        {config.enableChat ? <CollaboratorChat {...ref} joined={lock.joined} presence={presence} maxLength={config.chatMaxLength} /> : null}
      </PresenceBar>
      {/* A deleted record is edited by nobody, this tab included. */}
      <LockNotices role={lock.role} canEdit={lock.canEdit} errors={errors} editorBanner={!deleted} />
      {lockEnded.ended ? <LockEndedNotice ended={lockEnded.ended} onEditAgain={lockEnded.editAgain} /> : null}
      {/* Nobody edits a deleted record: no requests to finish, no idle warnings, no lock to get back. */}
      {deleted ? null : <AttentionNotices inbox={inbox} />}
      {deleted ? null : <IdleNotices idle={idle} lost={lock.lost} onEditAgain={lock.lease ? undefined : lock.editAgain} />}
      {offeredDraft ? <DraftNotice draft={offeredDraft} onRestore={draft.restore} onDiscard={draft.discard} /> : null}
      {live.saved && !deleted ? <SavedNotice by={live.saved.by} fields={live.saved.fields} resourceId={resourceId} onDismiss={live.dismiss} /> : null}
      {deleted ? (
        <DeletedNotice deletion={deleted} resourceId={resourceId} keptInput={keptInput} />
      ) : locked ? (
        <LockOverlay role={lock.role} lease={lock.lease} onTakeOver={lock.takeOver} refused={isRefusal(lock.error)} headline={queueHeadline(queue, lock.role, text)}>
          {canAskEditor ? <AttentionButton attention={attention} /> : null}
          {canAskEditor || (lock.role === 'claiming' && queue.position !== null) ? <QueueControls queue={queue} canJoin={canAskEditor} /> : null}
          {canAskEditor ? <TakeOverControl policy={takeOverPolicy} editorName={lock.lease?.user.name ?? ''} onTakeOver={lock.takeOver} /> : null}
        </LockOverlay>
      ) : null}
      <Box position="relative" flex flexDirection="column" flexGrow={1}>
        <div ref={readOnlyRef} style={columnStyle} data-testid="collaborator-form" data-readonly={locked} {...idle.activity}>
          <EditForm {...props} form={form} />
        </div>
        {locked ? <LockCover /> : null}
      </Box>
    </Box>
  )
}

const CollaboratorEdit: React.FC<ActionProps> = (props) => {
  const config = configOf(props)
  const { record } = props
  if (!config || !record) {
    // A wiring mistake, not a user's: say so and fall back to the plain form.
    return (
      <>
        <Box data-testid="collaborator-error" data-code="not_configured" mb="lg">
          <MessageBox size="sm" variant="danger" message="adminjs-collaborator: this edit action has no collaboration config (action.custom.collaborator) or no record." />
        </Box>
        <Edit {...props} />
      </>
    )
  }
  return (
    <TextsProvider texts={config.texts} resourceId={props.resource.id}>
      <CollaborationProvider socketPath={config.socketPath}>
        {/* A new record is a new page: no form state, draft or lock may carry over to it. */}
        <LockedEdit key={`${props.resource.id}/${String(record.id)}`} {...props} record={record} config={config} />
      </CollaborationProvider>
    </TextsProvider>
  )
}

export default CollaboratorEdit

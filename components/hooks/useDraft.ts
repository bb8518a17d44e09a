/**
 * Nothing typed is lost: the form's unsaved changes go to a draft in localStorage whenever the
 * form is about to stop being the user's (this tab loses the lock, or someone else's save is about
 * to replace what it shows), and the page offers the draft back once this tab edits again.
 *
 * A draft holds only what the user changed against the record the form loaded, so restoring it
 * over a newer record keeps everyone else's changes to other fields. A draft the user has not yet
 * restored or discarded is merged with newer changes instead of being overwritten by them.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { RecordRef } from '../../src/protocol'
import { draftKey, readDraft, removeDraft, writeDraft, type Draft } from './draft-storage'
import { changedParams, hasChanges, type ParamChanges } from './record-diff'
import type { EditForm } from './useEditForm'

export interface DraftOptions extends RecordRef {
  /** Drafts are per user; null until the server said who this is. */
  userId: string | null
  /** Whether this tab may type into the form now. */
  editable: boolean
  form: Pick<EditForm, 'snapshot' | 'apply' | 'revert'>
  /** Params never to store, whatever the user typed into them (passwords). */
  isPrivate: (key: string) => boolean
}

export interface DraftControl {
  /** The stored draft of this user for this record, if any. */
  draft: Draft | null
  /**
   * Moves the form's unsaved changes, if it has any, into the draft; true when there were some.
   * The draft lives in localStorage and in this page's state, so a browser that refuses storage
   * still gets them offered back while the page lives.
   */
  storeIfDirty: () => boolean
  /** Whether the form holds changes not saved (private fields count: they are unsaved too, only never stored). */
  isDirty: () => boolean
  /** Lays the draft over the form and forgets it. */
  restore: () => void
  /** Forgets the draft (the user said so, or the form was saved). */
  discard: () => void
}

function merged(older: Draft | null, newer: ParamChanges): ParamChanges {
  if (!older) return newer
  const params = { ...older.params, ...newer.params }
  const removed = [...new Set([...older.removed, ...newer.removed])].filter((key) => !(key in newer.params))
  for (const key of newer.removed) delete params[key]
  return { params, removed }
}

export function useDraft({ resourceId, recordId, userId, editable, form, isPrivate }: DraftOptions): DraftControl {
  // The last known user: while offline the server cannot say, but the draft still needs its key.
  const [knownUserId, setKnownUserId] = useState(userId)
  useEffect(() => {
    if (userId) setKnownUserId(userId)
  }, [userId])
  const key = knownUserId ? draftKey(knownUserId, resourceId, recordId) : null

  const [draft, setDraft] = useState<Draft | null>(null)
  const draftRef = useRef(draft)
  draftRef.current = draft
  const keyRef = useRef(key)
  keyRef.current = key
  const formApi = useRef(form)
  formApi.current = form
  const isPrivateRef = useRef(isPrivate)
  isPrivateRef.current = isPrivate
  // A draft made before the user was known, so not yet in storage.
  const unkeyed = useRef<Draft | null>(null)

  // Another tab of the same user may have stored one since: read again whenever editing starts.
  useEffect(() => {
    if (!key || !editable) return
    const pending = unkeyed.current
    unkeyed.current = null
    if (pending) writeDraft(key, { ...pending, ...merged(readDraft(key), pending) })
    setDraft(readDraft(key) ?? pending ?? draftRef.current)
  }, [key, editable])

  // The same user's other tab may store one while this tab already edits (it lost the lock to
  // this one): localStorage tells every other tab of the origin.
  useEffect(() => {
    if (!key) return undefined
    const onStorage = (event: StorageEvent) => {
      if (event.key === key) setDraft(readDraft(key))
    }
    window.addEventListener('storage', onStorage)
    return () => window.removeEventListener('storage', onStorage)
  }, [key])

  const isDirty = useCallback((): boolean => {
    const { loaded, current } = formApi.current.snapshot()
    return hasChanges(changedParams(loaded.params, current.params))
  }, [])

  const storeIfDirty = useCallback((): boolean => {
    const { loaded, current } = formApi.current.snapshot()
    const changes = changedParams(loaded.params, current.params, isPrivateRef.current)
    if (!hasChanges(changes)) return false
    const storageKey = keyRef.current
    const older = storageKey ? readDraft(storageKey) : draftRef.current
    const next: Draft = { ...merged(older, changes), savedAtMs: Date.now() }
    if (storageKey) writeDraft(storageKey, next)
    else unkeyed.current = next
    draftRef.current = next
    setDraft(next)
    return true
  }, [])

  const discard = useCallback(() => {
    if (keyRef.current) removeDraft(keyRef.current)
    unkeyed.current = null
    draftRef.current = null
    setDraft(null)
  }, [])

  const restore = useCallback(() => {
    const stored = draftRef.current
    if (stored) formApi.current.apply(stored)
    discard()
  }, [discard])

  // Losing the lock freezes the form; what it holds moves to the draft (the snapshot includes the
  // text of a field disabled while being typed into). The frozen form then shows the record as
  // stored again: typed text under "being edited by someone else" would read as the record's,
  // and the changes follow the lock instead (to this user's other tab, or back here later).
  const wasEditable = useRef(editable)
  useEffect(() => {
    if (wasEditable.current && !editable && storeIfDirty()) formApi.current.revert()
    wasEditable.current = editable
  }, [editable, storeIfDirty])

  return { draft, storeIfDirty, isDirty, restore, discard }
}

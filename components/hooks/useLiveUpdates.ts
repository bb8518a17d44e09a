/**
 * Someone saved the record: the page fetches it again and shows it in place, without a reload,
 * and says who saved and which fields they changed. The saving tab itself is skipped (its save
 * response already carries the new record), which the page recognises with `isOwnSave`.
 *
 * It also keeps, per field, who last changed it since this page loaded the record (the saves it
 * heard of, as the server named their fields), so the form can mark them: a tab that waited for
 * the lock and now edits the fresh record, or restores a draft over it, sees what others changed.
 */
import { useCallback, useRef, useState } from 'react'
import type { RecordRef, RecordSavedEvent, UserView } from '../../src/protocol'
import { propertyOf } from './field-names'
import { useRecordEvent } from './useRecordEvent'

export interface LiveUpdatesOptions extends RecordRef {
  isOwnSave: (event: RecordSavedEvent) => boolean
  /** Fetches and shows the saved record; resolves false when it could not (the fetch says why). */
  reload: (event: RecordSavedEvent) => Promise<boolean>
}

/** Who last changed a field (a top-level property), and when (server clock). */
export interface FieldChange {
  by: UserView
  atMs: number
}

export interface LiveUpdates {
  /** Who saved the version the page shows now, until dismissed. */
  savedBy: UserView | null
  /** That save, with the fields it changed, until dismissed. */
  saved: RecordSavedEvent | null
  dismiss: () => void
  /** The top-level properties others changed since this page loaded the record, with the last change of each. */
  changedByOthers: ReadonlyMap<string, FieldChange>
  /** Forgets them (this tab saved: the record is the user's own version now). */
  clearChanged: () => void
}

const NONE: ReadonlyMap<string, FieldChange> = new Map()

export function useLiveUpdates({ resourceId, recordId, isOwnSave, reload }: LiveUpdatesOptions): LiveUpdates {
  const [saved, setSaved] = useState<RecordSavedEvent | null>(null)
  const [changedByOthers, setChangedByOthers] = useState<ReadonlyMap<string, FieldChange>>(NONE)
  // The callbacks read the page's latest state; the listener stays the same.
  const callbacks = useRef({ isOwnSave, reload })
  callbacks.current = { isOwnSave, reload }

  useRecordEvent('record:saved', { resourceId, recordId }, (event: RecordSavedEvent) => {
    if (callbacks.current.isOwnSave(event)) return
    // An older server sends no fields: the notice then only says who saved.
    const fields = Array.isArray(event.fields) ? event.fields : []
    if (fields.length > 0) {
      setChangedByOthers((known) => {
        const next = new Map(known)
        for (const field of fields) next.set(propertyOf(field), { by: event.by, atMs: event.atMs })
        return next
      })
    }
    void callbacks.current.reload(event).then((shown) => {
      if (shown) setSaved({ ...event, fields })
    })
  })

  const dismiss = useCallback(() => setSaved(null), [])
  const clearChanged = useCallback(() => setChangedByOthers(NONE), [])
  return { savedBy: saved?.by ?? null, saved, dismiss, changedByOthers, clearChanged }
}

/**
 * Someone saved the record: the page fetches it again and shows it in place, without a reload,
 * and says who saved. The saving tab itself is skipped (its save response already carries the new
 * record), which the page recognises with `isOwnSave`.
 */
import { useCallback, useRef, useState } from 'react'
import type { RecordRef, RecordSavedEvent, UserView } from '../../src/protocol'
import { useRecordEvent } from './useRecordEvent'

export interface LiveUpdatesOptions extends RecordRef {
  isOwnSave: (event: RecordSavedEvent) => boolean
  /** Fetches and shows the saved record; resolves false when it could not (the fetch says why). */
  reload: (event: RecordSavedEvent) => Promise<boolean>
}

export interface LiveUpdates {
  /** Who saved the version the page shows now, until dismissed. */
  savedBy: UserView | null
  dismiss: () => void
}

export function useLiveUpdates({ resourceId, recordId, isOwnSave, reload }: LiveUpdatesOptions): LiveUpdates {
  const [savedBy, setSavedBy] = useState<UserView | null>(null)
  // The callbacks read the page's latest state; the listener stays the same.
  const callbacks = useRef({ isOwnSave, reload })
  callbacks.current = { isOwnSave, reload }

  useRecordEvent('record:saved', { resourceId, recordId }, (event: RecordSavedEvent) => {
    if (callbacks.current.isOwnSave(event)) return
    void callbacks.current.reload(event).then((shown) => {
      if (shown) setSavedBy(event.by)
    })
  })

  const dismiss = useCallback(() => setSavedBy(null), [])
  return { savedBy, dismiss }
}

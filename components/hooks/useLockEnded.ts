/**
 * This tab's lease ended by someone else's hand (an admin's "Release" on the locks page): the
 * server says so with `lock:ended` for the lease's fence, before the `lock:state` that frees it.
 * The page then stops claiming (it would simply take the record back), becomes a viewer and says
 * who ended it; its unsaved input goes to the draft as on any loss of the lock (useDraft), and
 * "Edit again" claims once more.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { LockEndedEvent } from '../../src/protocol'
import { useRecordEvent } from './useRecordEvent'
import type { RecordSession } from './useRecordSession'

export interface LockEnded {
  /** Who ended this tab's lease, until the user edits again. */
  ended: LockEndedEvent | null
  /** Claims again (the notice's button). */
  editAgain: () => void
}

export function useLockEnded(session: RecordSession): LockEnded {
  const { joined, snapshot } = session
  const [ended, setEnded] = useState<LockEndedEvent | null>(null)
  // The fence of this tab's own lease, as last seen: the lease is gone by the time a late event is read.
  const ownFence = useRef<number | null>(null)
  const own = joined && snapshot.lease?.tabId === joined.tabId ? snapshot.lease.fence : null
  useEffect(() => {
    if (own !== null) ownFence.current = own
  }, [own])

  useRecordEvent('lock:ended', session, (event) => {
    if (event.fence === (own ?? ownFence.current)) setEnded(event)
  })
  const editAgain = useCallback(() => setEnded(null), [])
  return { ended, editAgain }
}

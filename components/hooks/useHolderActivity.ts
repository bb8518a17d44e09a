/**
 * The lock holder's state as the others on the record see it: when they were last active and
 * whether their page has unsaved input. It starts from the lease (`idleMs`, `unsaved`, read by the
 * server as it sent the lease) and follows `lock:holder`, which the server sends when that is news
 * (see `HolderActivityEvent`). Times are kept on this page's clock, counted back by `idleMs` at
 * receipt, so a clock that differs from the server's changes nothing.
 */
import { useEffect, useState } from 'react'
import type { LeaseView, RecordRef } from '../../src/protocol'
import { useRecordEvent } from './useRecordEvent'

export interface HolderActivity {
  fence: number
  /** The holder's last activity, on this page's clock. */
  activeAtMs: number
  unsaved: boolean
}

export function useHolderActivity(ref: RecordRef, lease: LeaseView | null): HolderActivity | null {
  const [activity, setActivity] = useState<HolderActivity | null>(null)

  // Every lease the page is given was read as it was sent: the newest word on its holder.
  useEffect(() => {
    setActivity(lease ? { fence: lease.fence, activeAtMs: Date.now() - lease.idleMs, unsaved: lease.unsaved } : null)
  }, [lease])

  useRecordEvent('lock:holder', ref, ({ fence, idleMs, unsaved }) => {
    setActivity((current) => (current && current.fence === fence ? { fence, activeAtMs: Math.max(current.activeAtMs, Date.now() - idleMs), unsaved } : current))
  })
  return activity
}

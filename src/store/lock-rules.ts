/**
 * Orders both stores share for what they list about locks, so every process lists alike.
 */
import type { ListedLease } from './store.js'

/** Sort comparator of `LockStore.list`: oldest grant first, ties broken by record key. */
export function byGrant(a: ListedLease, b: ListedLease): number {
  return a.lease.sinceMs - b.lease.sinceMs || (a.recordKey < b.recordKey ? -1 : a.recordKey > b.recordKey ? 1 : 0)
}

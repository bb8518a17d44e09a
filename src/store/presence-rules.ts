/**
 * Presence rules both stores keep (the contract suite checks them on each):
 *
 * - An entry is one connection (socket id), not one user: two tabs of a user are two entries, and
 *   a user is present while any of their entries is.
 * - An entry lives `ttlMs` from its join or last renewal, then counts as gone: this is how the
 *   connections of a process that died without saying goodbye disappear. The living processes renew
 *   their own connections' entries well within the ttl.
 * - Renewing never brings back an entry that left or expired; only a join adds one.
 * - Expired entries are dropped by the next join, leave or renew of the record, and each reports it
 *   (join and leave how many, renew whether any), so its caller knows to tell the others the list
 *   changed by more than its own entry. `list` leaves them out but in place: a removal it made would
 *   be told to nobody.
 * - Lists come in arrival order: by `sinceMs`, ties broken by entry id, so every process lists alike.
 * - Redis judges expiry on its own clock (TIME in the scripts), so processes whose clocks disagree
 *   still agree on who is present; memory judges it on this process's clock.
 */
import type { PresenceEntry } from './store.js'

/** Sort comparator for the arrival order above. */
export function byArrival(a: PresenceEntry, b: PresenceEntry): number {
  return a.sinceMs - b.sinceMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

import { createHash } from 'node:crypto'
import type { LeaseView } from '../protocol.js'
import type { Lease } from '../store/store.js'

/**
 * Digests of the tokens seen lately: every lock state a room hears, every claim's answer, names its
 * holder's tab, mostly the same few tokens over and over, and a sha256 per call was a visible part
 * of a claim. Bounded: past this many, the oldest goes (a Map keeps insertion order).
 */
const RECENT_TAB_IDS = 1024
const recentTabIds = new Map<string, string>()

/**
 * The public name of a tab. Tokens are secrets (whoever has one may renew its lease), so others
 * only ever see this digest; a tab learns its own tabId in the join reply.
 */
export function tabIdOf(token: string): string {
  const known = recentTabIds.get(token)
  if (known !== undefined) return known
  const tabId = createHash('sha256').update(token).digest('base64url').slice(0, 22)
  if (recentTabIds.size >= RECENT_TAB_IDS) recentTabIds.delete(recentTabIds.keys().next().value!)
  recentTabIds.set(token, tabId)
  return tabId
}

export function toLeaseView(lease: Lease | null): LeaseView | null {
  if (!lease) return null
  return {
    user: lease.user,
    tabId: tabIdOf(lease.token),
    fence: lease.fence,
    sinceMs: lease.sinceMs,
    expiresInMs: Math.max(0, lease.expiresAtMs - Date.now()),
    idleMs: Math.max(0, Date.now() - lease.lastActiveMs),
    unsaved: lease.unsaved,
  }
}

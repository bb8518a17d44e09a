import { createHash } from 'node:crypto'
import type { LeaseView } from '../protocol.js'
import type { Lease } from '../store/store.js'

/**
 * The public name of a tab. Tokens are secrets (whoever has one may renew its lease), so others
 * only ever see this digest; a tab learns its own tabId in the join reply.
 */
export function tabIdOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url').slice(0, 22)
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

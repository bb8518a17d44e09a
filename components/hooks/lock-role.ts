/**
 * Which role this tab plays on a record, and whether it may type: pure functions of what the
 * server said last, no React (useEditLock.ts and the show page feed them).
 */
import type { JoinIntent, JoinReply, LeaseView } from '../../src/protocol'
import type { ConnectionStatus } from './useConnection'

export type LockRole =
  /** No answer yet from the server about this record. */
  | 'connecting'
  /** The resource runs without locking: everyone edits. */
  | 'unlocked'
  /** This tab holds the lock. */
  | 'editor'
  /** Another tab of the same user holds it. */
  | 'other-tab'
  /** Another user holds it (or, with intent `show`, nobody does). */
  | 'viewer'
  /** The lock is free and this tab is claiming it. */
  | 'claiming'
  /** No connection to the collaboration server, or it cannot check the lock right now. */
  | 'offline'

/** Roles that say nothing new about who holds the lock. */
export const UNSETTLED_ROLES: ReadonlySet<LockRole> = new Set<LockRole>(['connecting', 'offline'])

export function lockRole(status: ConnectionStatus, joined: JoinReply | null, lease: LeaseView | null, intent: JoinIntent): LockRole {
  if (status !== 'online') return status === 'offline' ? 'offline' : 'connecting'
  if (!joined) return 'connecting'
  if (!joined.locking) return 'unlocked'
  if (!lease) return intent === 'edit' ? 'claiming' : 'viewer'
  if (lease.tabId === joined.tabId) return 'editor'
  if (lease.user.id === joined.user.id) return 'other-tab'
  return 'viewer'
}

/**
 * Editors keep typing through a short outage: the server keeps their lease for its grace time and
 * refuses a save that no longer holds it, with the input kept. Everyone else waits for an answer.
 */
export function canEditIn(role: LockRole, lastSettledRole: LockRole | null, blockEditing: boolean): boolean {
  if (role === 'editor' || role === 'unlocked') return true
  if (!UNSETTLED_ROLES.has(role)) return false
  if (lastSettledRole === null) return !blockEditing
  return lastSettledRole === 'editor' || lastSettledRole === 'unlocked'
}

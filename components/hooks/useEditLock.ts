/**
 * The edit lock of one record, as this tab sees it, on top of its record session (which joins,
 * and keeps the lease ordered by revision: see useRecordSession).
 *
 * Rules (the server decides; this hook only asks and listens):
 * - When the lock becomes free, an `edit` tab claims at once; the server grants exactly one of the
 *   racing claims.
 * - While someone else holds it, the tab claims once more just after the lease should have ended:
 *   if the holder's process died nobody announces the release. The denial carries the renewed
 *   lease, which schedules the next try.
 * - The editor may hand the lock to a tab that asked for attention. That tab learns it from a
 *   `lock:state` naming it, at a revision none of its own requests was answered with, and claims
 *   once: the claim is what makes its server renew the lease (renewal follows the claiming socket).
 */
import { useCallback, useEffect, useRef, useState, type MutableRefObject } from 'react'
import { ErrorCode, type JoinReply, type LeaseView, type LockChangeCause, type UserView } from '../../src/protocol'
import { useCollaborationSocket } from './collaboration-context'
import type { LeaseSnapshot, RecordChannel } from './record-channel'
import { LocalErrorCode, isTransient, type ClientError } from './request'
import { useRecordEvent } from './useRecordEvent'
import type { RecordSession } from './useRecordSession'
import { UNSETTLED_ROLES, canEditIn, lockRole, type LockRole } from './lock-role'

export type { LockRole } from './lock-role'

/** Roles in which another tab had the lock: when this tab gets it, the record may have changed. */
const WAITING_ROLES: ReadonlySet<LockRole> = new Set<LockRole>(['viewer', 'claiming', 'other-tab'])

/** Claim this long after the holder's lease should have ended, so it has surely ended on the server. */
const CLAIM_MARGIN_MS = 250
/** After a denied or failed claim of a lock that looked free, wait this long before the next one. */
const CLAIM_RETRY_MS = 2000

export interface EditLockOptions {
  /** What the page expects before the server answers; the server's `locking` wins afterwards. */
  blockEditing: boolean
  /** Claim nothing meanwhile (this tab's lock was ended by someone else): the tab is a viewer. */
  claimPaused?: boolean
}

export interface EditLock {
  role: LockRole
  /** Whether this tab may type into the form now (see `canEditIn`). */
  canEdit: boolean
  /** The last known lease (kept while offline, for the overlay). */
  lease: LeaseView | null
  /** Who this tab is, per the server. */
  me: UserView | null
  /** The server's answer to the current join (null until joined, and while disconnected). */
  joined: JoinReply | null
  /** Grows each time this tab gets the lock after someone else had it: time to reload the record. */
  gainedAfterWaiting: number
  /** The last error from the server or the connection, until dismissed or resolved. */
  error: ClientError | null
  dismissError: () => void
  /** Moves the lock from this user's other tab to this one (or another user's, as the server's policy allows). */
  takeOver: () => void
  /** Claims now (at most one claim out): the record's line says it is this tab's turn. */
  claim: () => void
  /**
   * The server took the lock from this tab (idle, or taken over: `by` is who has it). The tab then
   * claims nothing until `editAgain`, so an absent user does not get it back by itself.
   */
  lost: { kind: LockChangeCause['kind']; by: UserView | null } | null
  /** After a loss: claim again (the lock may be free or someone else's) and forget the loss. */
  editAgain: () => void
}

interface Claimer {
  claim: () => void
  /** Stops claiming (the server took the lock away) until `resume`. */
  pause: () => void
  resume: () => void
  takeOver: () => void
  claimsRefused: () => boolean
  /** A new join answered: whatever refused claims before may allow them now. */
  joined: () => void
  /** A claim out when the connection dropped is answered stale: the next one may go at once. */
  disconnected: () => void
}

/** The claim and take-over requests on one channel, at most one claim out at a time. */
function claimer(channel: RecordChannel, ref: { resourceId: string; recordId: string }): Claimer {
  let claimInFlight = false
  let claimsRefused = false
  let paused = false
  const ask = async (event: 'lock:claim' | 'lock:takeover') => {
    const reply = await channel.send(event, ref)
    if (!reply) return
    if (reply.ok) {
      channel.sinks.error(null)
      channel.own(reply.data.revision)
      // An answer older than what was heard meanwhile says nothing new; the claim schedule re-arms.
      if (!channel.applyLease(reply.data.lease, reply.data.revision, true)) channel.rearm()
      return
    }
    const { code } = reply.error
    if (code === LocalErrorCode.Disconnected) return
    // The server no longer counts this socket as joined (it restarted, or the room was lost).
    if (code === ErrorCode.NotJoined) return channel.rejoin()
    // Held, or others wait in line first (`queued`): the page waits, neither is an error to show.
    const waits = code === ErrorCode.LockHeld || code === ErrorCode.Queued
    if (!waits) channel.sinks.error(reply.error)
    if (event === 'lock:claim') {
      if (!waits && !isTransient(reply.error)) claimsRefused = true
      channel.rearm()
    }
  }
  return {
    claim: () => {
      if (claimInFlight || claimsRefused || paused) return
      claimInFlight = true
      void ask('lock:claim').finally(() => {
        claimInFlight = false
      })
    },
    takeOver: () => void ask('lock:takeover'),
    pause: () => {
      paused = true
    },
    resume: () => {
      paused = false
    },
    claimsRefused: () => claimsRefused || paused,
    joined: () => {
      claimsRefused = false
    },
    disconnected: () => {
      claimInFlight = false
    },
  }
}

/** When the next claim is due: at once for a free lock, just after someone else's lease should end. */
function claimDueMs({ lease, receivedAtMs, afterClaim }: LeaseSnapshot): number {
  if (lease) return receivedAtMs + lease.expiresInMs + CLAIM_MARGIN_MS
  return afterClaim ? receivedAtMs + CLAIM_RETRY_MS : receivedAtMs
}

/** The claimer of the session's current channel, told of joins and disconnects. */
function useClaimer(session: RecordSession): MutableRefObject<Claimer | null> {
  const socket = useCollaborationSocket()
  const claimerRef = useRef<Claimer | null>(null)
  const { channel, resourceId, recordId, joined } = session

  useEffect(() => {
    if (!channel) return undefined
    const current = claimer(channel, { resourceId, recordId })
    claimerRef.current = current
    socket.on('disconnect', current.disconnected)
    return () => {
      claimerRef.current = null
      socket.off('disconnect', current.disconnected)
    }
  }, [socket, channel, resourceId, recordId])
  // Before the claim schedule below runs for this join.
  useEffect(() => {
    if (joined) claimerRef.current?.joined()
  }, [joined])
  return claimerRef
}

/** Grows each time this tab gets the lock after someone else had it; and the last settled role. */
function useSettledRole(role: LockRole): { lastSettledRole: LockRole | null; gainedAfterWaiting: number } {
  const [lastSettledRole, setLastSettledRole] = useState<LockRole | null>(null)
  const [gainedAfterWaiting, setGainedAfterWaiting] = useState(0)
  const settledRef = useRef<LockRole | null>(null)
  useEffect(() => {
    if (UNSETTLED_ROLES.has(role)) return
    const before = settledRef.current
    settledRef.current = role
    setLastSettledRole(role)
    if (role === 'editor' && before !== null && WAITING_ROLES.has(before)) setGainedAfterWaiting((count) => count + 1)
  }, [role])
  return { lastSettledRole, gainedAfterWaiting }
}

export function useEditLock(session: RecordSession, { blockEditing, claimPaused = false }: EditLockOptions): EditLock {
  const { status, joined, snapshot, intent, channel } = session
  const claimerRef = useClaimer(session)

  const [lost, setLost] = useState<EditLock['lost']>(null)
  // A lease handed to this tab: claim once, so that its server renews it. The server took the lock
  // from this tab: stop claiming at once, before the free lock's claim schedule runs.
  useRecordEvent('lock:state', session, ({ lease, revision, cause }) => {
    if (cause && joined && cause.fromTabId === joined.tabId) {
      claimerRef.current?.pause()
      setLost({ kind: cause.kind, by: lease?.user ?? null })
    }
    if (intent === 'edit' && channel?.isHandOver(lease, revision)) claimerRef.current?.claim()
  })

  // Claim a free lock at once, and someone else's just after its lease should have ended.
  useEffect(() => {
    if (status !== 'online' || !joined?.locking || intent !== 'edit' || claimPaused) return undefined
    const current = claimerRef.current
    if (!current || current.claimsRefused() || snapshot.lease?.tabId === joined.tabId) return undefined
    const timer = setTimeout(current.claim, Math.max(0, claimDueMs(snapshot) - Date.now()))
    return () => clearTimeout(timer)
  }, [snapshot, joined, status, intent, channel, claimerRef, claimPaused])

  // Paused (the lock was ended by force, or lost to idleness or a take-over), a free lock is not
  // being claimed: this tab only watches.
  const baseRole = lockRole(status, joined, snapshot.lease, intent)
  const role = (claimPaused || lost) && baseRole === 'claiming' ? 'viewer' : baseRole
  const { lastSettledRole, gainedAfterWaiting } = useSettledRole(role)
  const takeOver = useCallback(() => claimerRef.current?.takeOver(), [claimerRef])
  const claim = useCallback(() => claimerRef.current?.claim(), [claimerRef])
  const editAgain = useCallback(() => {
    setLost(null)
    claimerRef.current?.resume()
    claimerRef.current?.claim()
  }, [claimerRef])
  // This tab holds the lock again (it asked, or it was handed over): the loss is over.
  useEffect(() => {
    if (role === 'editor') setLost(null)
  }, [role])

  return {
    role,
    canEdit: canEditIn(role, lastSettledRole, blockEditing),
    lease: snapshot.lease,
    me: session.me,
    joined,
    gainedAfterWaiting,
    error: session.error,
    dismissError: session.dismissError,
    takeOver,
    claim,
    lost,
    editAgain,
  }
}

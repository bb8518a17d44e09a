/**
 * The edit lock of one record, as this tab sees it.
 *
 * Rules (the server decides; this hook only asks and listens):
 * - On every (re)connect the tab joins the record with its tab token; with intent `edit` the join
 *   also claims the lock. The reply names this tab (`tabId`) and the current lease.
 * - `lock:state` tells who holds the lock now. When it becomes free, an `edit` tab claims at once;
 *   the server grants exactly one of the racing claims.
 * - While someone else holds it, the tab claims once more just after the lease should have ended:
 *   if the holder's process died nobody announces the release. The denial carries the renewed
 *   lease, which schedules the next try.
 * - Leaving the page releases the lock; closing the tab or losing the network does not (the
 *   server keeps it for a short grace time so a reload of this tab gets it back).
 * - The editor may hand the lock to a tab that asked for attention. That tab learns it from a
 *   `lock:state` naming it, at a revision none of its own requests was answered with, and claims
 *   once: the claim is what makes its server renew the lease (renewal follows the claiming socket).
 * - What is current is decided by the store's revision every answer and broadcast carries (see
 *   `Revision` in src/protocol.ts), never by arrival: a late broadcast of this tab's own leave,
 *   arriving after its new grant, is older and changes nothing.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import { ErrorCode, type JoinIntent, type JoinReply, type LeaseView, type LockStateEvent, type RecordRef, type Revision, type UserView } from '../../src/protocol'
import { isCurrent } from './revision'
import { useCollaborationSocket } from './collaboration-context'
import { useConnection } from './useConnection'
import { LocalErrorCode, isTransient, request, type ClientError } from './request'
import { useTabToken } from './useTabToken'
import { UNSETTLED_ROLES, canEditIn, lockRole, type LockRole } from './lock-role'

export type { LockRole } from './lock-role'

/** Roles in which another tab had the lock: when this tab gets it, the record may have changed. */
const WAITING_ROLES: ReadonlySet<LockRole> = new Set<LockRole>(['viewer', 'claiming', 'other-tab'])

/** Claim this long after the holder's lease should have ended, so it has surely ended on the server. */
const CLAIM_MARGIN_MS = 250
/** After a denied or failed claim of a lock that looked free, wait this long before the next one. */
const CLAIM_RETRY_MS = 2000
const JOIN_RETRY_MIN_MS = 1000
const JOIN_RETRY_MAX_MS = 15_000

export interface EditLockOptions extends RecordRef {
  intent: JoinIntent
  /** What the page expects before the server answers; the server's `locking` wins afterwards. */
  blockEditing: boolean
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
  /** Moves the lock from this user's other tab to this one. */
  takeOver: () => void
}

interface LeaseSnapshot {
  lease: LeaseView | null
  /** Local clock when it arrived: `expiresInMs` counts from then. */
  receivedAtMs: number
  /** It came from (or was re-armed by) this tab's own claim, so a free lock is not claimed again at once. */
  afterClaim: boolean
}

const NO_LEASE: LeaseSnapshot = { lease: null, receivedAtMs: 0, afterClaim: false }

interface LockSession {
  claim: () => void
  takeOver: () => void
  claimsRefused: () => boolean
}

export function useEditLock({ resourceId, recordId, intent, blockEditing }: EditLockOptions): EditLock {
  const socket = useCollaborationSocket()
  const tabToken = useTabToken()
  const { status, refusal } = useConnection()
  const [joined, setJoined] = useState<JoinReply | null>(null)
  const [snapshot, setSnapshot] = useState<LeaseSnapshot>(NO_LEASE)
  const [error, setError] = useState<ClientError | null>(null)
  const [lastSettledRole, setLastSettledRole] = useState<LockRole | null>(null)
  const [gainedAfterWaiting, setGainedAfterWaiting] = useState(0)
  const [dismissedRefusal, setDismissedRefusal] = useState<ClientError | null>(null)
  const sessionRef = useRef<LockSession | null>(null)
  const settledRef = useRef<LockRole | null>(null)

  // The join lifecycle of one record: join on every connect, follow `lock:state`, leave at the end.
  useEffect(() => {
    const ref: RecordRef = { resourceId, recordId }
    let alive = true
    // Bumped by every join and disconnect: the answer to an older join is not this tab's join.
    let generation = 0
    let joinRetryTimer: ReturnType<typeof setTimeout> | undefined
    let joinRetryMs = JOIN_RETRY_MIN_MS
    let claimInFlight = false
    let askInFlight = 0
    let claimsRefused = false
    // This tab's id on the server; the revision of the lock state applied last (null: nothing since
    // the last (re)connect, whose join starts afresh); the revisions this tab's own requests were
    // answered with: a lease naming this tab at any other revision was handed over to it.
    let myTabId: string | null = null
    let lastRevision: Revision | null = null
    const ownRevisions = new Set<Revision>()
    /** Applies a lock state unless a newer one was applied already; says whether it did. */
    const applyState = (lease: LeaseView | null, revision: Revision, afterClaim: boolean): boolean => {
      if (!isCurrent(revision, lastRevision)) return false
      lastRevision = revision
      setSnapshot({ lease, receivedAtMs: Date.now(), afterClaim })
      return true
    }

    setJoined(null)
    setSnapshot(NO_LEASE)
    setError(null)

    // Re-arms the claim schedule with what is known (a denial without news, a failed claim).
    const rearm = () => setSnapshot((previous) => ({ ...previous, receivedAtMs: Date.now(), afterClaim: true }))

    const join = async () => {
      clearTimeout(joinRetryTimer)
      const current = ++generation
      askInFlight += 1
      const reply = await request(socket, 'record:join', { ...ref, tabToken, intent }).finally(() => {
        askInFlight -= 1
      })
      if (!alive || current !== generation) return
      if (!reply.ok) {
        // Not connected: the offline notice says so and the next 'connect' joins again.
        if (reply.error.code === LocalErrorCode.Disconnected) return
        setError(reply.error)
        if (isTransient(reply.error)) {
          joinRetryTimer = setTimeout(() => void join(), joinRetryMs)
          joinRetryMs = Math.min(joinRetryMs * 2, JOIN_RETRY_MAX_MS)
        }
        return
      }
      joinRetryMs = JOIN_RETRY_MIN_MS
      claimsRefused = false
      setError(null)
      myTabId = reply.data.tabId
      // Not a reset: a broadcast newer than this answer may have arrived before it (the socket is in
      // the room before the answer is sent), and stays.
      ownRevisions.add(reply.data.lockRevision)
      setJoined(reply.data)
      applyState(reply.data.lease, reply.data.lockRevision, false)
    }

    const ask = async (event: 'lock:claim' | 'lock:takeover') => {
      const current = generation
      askInFlight += 1
      const reply = await request(socket, event, ref).finally(() => {
        askInFlight -= 1
      })
      if (!alive || current !== generation) return
      if (reply.ok) {
        setError(null)
        ownRevisions.add(reply.data.revision)
        // An answer older than what was heard meanwhile says nothing new; the claim schedule re-arms.
        if (!applyState(reply.data.lease, reply.data.revision, true)) rearm()
        return
      }
      const { code } = reply.error
      if (code === LocalErrorCode.Disconnected) return
      // The server no longer counts this socket as joined (it restarted, or the room was lost).
      if (code === ErrorCode.NotJoined) {
        void join()
        return
      }
      if (code !== ErrorCode.LockHeld) setError(reply.error)
      if (event === 'lock:claim') {
        if (code !== ErrorCode.LockHeld && !isTransient(reply.error)) claimsRefused = true
        rearm()
      }
    }

    const claim = () => {
      if (claimInFlight || claimsRefused) return
      claimInFlight = true
      void ask('lock:claim').finally(() => {
        claimInFlight = false
      })
    }

    sessionRef.current = {
      claim,
      takeOver: () => void ask('lock:takeover'),
      claimsRefused: () => claimsRefused,
    }

    const onConnect = () => void join()
    const onDisconnect = () => {
      generation += 1
      clearTimeout(joinRetryTimer)
      claimInFlight = false
      // The server may come back as another process, or with a store that restarted: the next join's
      // answer is the baseline again.
      lastRevision = null
      ownRevisions.clear()
      setJoined(null)
    }
    const onLockState = (state: LockStateEvent) => {
      if (state.resourceId !== resourceId || state.recordId !== recordId) return
      const { lease, revision } = state
      if (!applyState(lease, revision, false)) return
      // While a request of ours is out, a lease naming us may be its own grant, broadcast before
      // the answer: only a state no request of ours produced is a hand-over.
      const handedOver = intent === 'edit' && lease !== null && lease.tabId === myTabId && !ownRevisions.has(revision) && askInFlight === 0
      if (handedOver) claim()
    }

    socket.on('connect', onConnect)
    socket.on('disconnect', onDisconnect)
    socket.on('lock:state', onLockState)
    if (socket.connected) void join()

    return () => {
      alive = false
      generation += 1
      clearTimeout(joinRetryTimer)
      sessionRef.current = null
      socket.off('connect', onConnect)
      socket.off('disconnect', onDisconnect)
      socket.off('lock:state', onLockState)
      if (socket.connected) {
        void request(socket, 'record:leave', ref).then((reply) => {
          // The page is gone, so the console is the only place left to report it.
          if (!reply.ok) console.warn(`adminjs-collaborator: leaving ${resourceId}/${recordId} failed: ${reply.error.message}`)
        })
      }
    }
  }, [socket, tabToken, resourceId, recordId, intent])

  // Claim a free lock at once, and someone else's just after its lease should have ended.
  useEffect(() => {
    if (status !== 'online' || !joined?.locking || intent !== 'edit') return undefined
    const session = sessionRef.current
    const { lease, receivedAtMs, afterClaim } = snapshot
    if (!session || session.claimsRefused() || lease?.tabId === joined.tabId) return undefined
    let dueMs = receivedAtMs
    if (lease) dueMs += lease.expiresInMs + CLAIM_MARGIN_MS
    else if (afterClaim) dueMs += CLAIM_RETRY_MS
    const timer = setTimeout(session.claim, Math.max(0, dueMs - Date.now()))
    return () => clearTimeout(timer)
  }, [snapshot, joined, status, intent])

  const role = lockRole(status, joined, snapshot.lease, intent)

  useEffect(() => {
    if (UNSETTLED_ROLES.has(role)) return
    const before = settledRef.current
    settledRef.current = role
    setLastSettledRole(role)
    if (role === 'editor' && before !== null && WAITING_ROLES.has(before)) setGainedAfterWaiting((count) => count + 1)
  }, [role])

  const takeOver = useCallback(() => sessionRef.current?.takeOver(), [])
  const shownRefusal = refusal === dismissedRefusal ? null : refusal
  const dismissError = useCallback(() => {
    setError(null)
    setDismissedRefusal(refusal)
  }, [refusal])

  return {
    role,
    canEdit: canEditIn(role, lastSettledRole, blockEditing),
    lease: snapshot.lease,
    me: joined?.user ?? null,
    joined,
    gainedAfterWaiting,
    error: error ?? shownRefusal,
    dismissError,
    takeOver,
  }
}

/**
 * The edit lock over Socket.IO: claim on joining an edit page (as the record session's feature),
 * claim again when it frees, take it over from one's own other tab, release on leaving, reconnect
 * grace on dropping. Every change of holder is broadcast to the record's room as `lock:state`;
 * freeing is announced so waiting editors claim at once. Each socket holds at most one lease per
 * record; every lease it made is released or put into grace when it leaves or drops.
 */
import { ErrorCode, type LockChangeCause, type LockStateEvent, type RecordRef } from '../protocol.js'
import { QueueRefusedError, StoreRecoveringError, StoreUnavailableError, type Claimant, type ClaimResult, type Holder, type LockSnapshot } from '../store/store.js'
import { recordAudience, recordKey } from '../store/keys.js'
import { AckFailure } from './ack-failure.js'
import type { CollabSocket, JoinedRecord, ServerContext } from './context.js'
import type { EventRouter } from './event-router.js'
import { takeOverByPolicy } from './idle.js'
import { toLeaseView } from './lease-view.js'
import { joinedRecord, type JoinedAt, type RecordFeature } from './record-session.js'
import { QueuedFailure, queueGranted, queueRefused } from './queue.handlers.js'
import { recordRefSchema } from './validation.js'

/** A lock state as the room hears it: the lease (or null) and the record's revision. */
export function lockState(ref: RecordRef, { lease, revision }: LockSnapshot, cause?: LockChangeCause): LockStateEvent {
  return cause ? { ...ref, lease: toLeaseView(lease), revision, cause } : { ...ref, lease: toLeaseView(lease), revision }
}

/**
 * Sends the record's holder (or null) to everyone on it, with the revision it was read at. Pass the
 * state when the caller just got it from the store, to save a round trip; otherwise it is read.
 */
export async function announceLock(ctx: ServerContext, ref: RecordRef, known?: LockSnapshot, cause?: LockChangeCause): Promise<void> {
  broadcastLock(ctx, ref, known ?? (await ctx.store.locks.read(recordKey(ref.resourceId, ref.recordId))), cause)
}

/** Sends a state just read from the store to everyone on the record. */
function broadcastLock(ctx: ServerContext, ref: RecordRef, state: LockSnapshot, cause?: LockChangeCause): void {
  ctx.io.to(recordAudience(ref.resourceId, ref.recordId)).emit('lock:state', lockState(ref, state, cause))
  ctx.locksChanged?.()
}

export function claimantOf(socket: CollabSocket, token: string): Claimant {
  return { token, user: socket.data.user }
}

/** The lease this socket's join of a record may hold: its token, and its user. */
export function holderOf(socket: CollabSocket, joined: JoinedRecord): Holder {
  return { token: joined.token, user: { id: socket.data.user.id } }
}

export function joinedEditor(socket: CollabSocket, ref: RecordRef): JoinedAt {
  const joined = joinedRecord(socket, ref)
  if (joined.intent !== 'edit' || !joined.locking) throw new AckFailure(ErrorCode.Forbidden, 'this page does not edit the record')
  return joined
}

/**
 * Asks the store for the lock for this tab; null while the store is recovering from data loss.
 * Refused because others wait in the record's line first: a `QueuedFailure` (answered `queued`).
 */
async function claimInStore(ctx: ServerContext, joined: JoinedAt, claimant: Claimant): Promise<ClaimResult | null> {
  const { key } = joined
  try {
    return await ctx.store.locks.claim(key, claimant, ctx.options.lockTtlMs)
  } catch (error) {
    if (error instanceof QueueRefusedError) throw queueRefused(ctx, key, joined.ref, error)
    // Redis came back without its data moments ago: the record looks free, but its holder from
    // before may still re-assert it. Free, then, and the tab asks again shortly.
    if (error instanceof StoreRecoveringError) return null
    if (error instanceof StoreUnavailableError) undoLateGrant(ctx, key, claimant)
    throw error
  }
}

/**
 * A claim's answer made known: a new grant is renewed from now on and the room is told at once.
 * The room's broadcast goes out as the answer does; the claimer never waits for it.
 */
function settleClaim(ctx: ServerContext, socket: CollabSocket, joined: JoinedAt, claimant: Claimant, result: ClaimResult | null): LockStateEvent {
  if (!result) return { ...joined.ref, lease: null, revision: 0 }
  if (result.granted) {
    ctx.keeper.track(joined.key, { ref: joined.ref, claimant, socketId: socket.id })
    if (!result.renewed) {
      broadcastLock(ctx, joined.ref, result)
      void ctx.audit({ kind: 'granted', ref: joined.ref, user: claimant.user })
    }
    queueGranted(ctx, joined.key, joined.ref, socket.id, claimant)
  }
  return lockState(joined.ref, result)
}

/** Claims for this tab on joining; on a new grant starts renewing and tells the room. */
async function claimFor(ctx: ServerContext, socket: CollabSocket, joined: JoinedAt): Promise<LockStateEvent> {
  const claimant = claimantOf(socket, joined.token)
  try {
    return settleClaim(ctx, socket, joined, claimant, await claimInStore(ctx, joined, claimant))
  } catch (error) {
    // Others wait in line for the free record: the page joins it free, and hears the line.
    if (error instanceof QueuedFailure) return { ...joined.ref, lease: null, revision: error.revision }
    throw error
  }
}

/**
 * `lock:claim`: the session is re-read while the store claims, so the check adds no round trip. A
 * grant made for a session that turns out to be over is released before anyone hears of it.
 */
async function claimVerified(ctx: ServerContext, socket: CollabSocket, ref: RecordRef): Promise<LockStateEvent> {
  const claiming = (async () => {
    const joined = joinedEditor(socket, ref)
    const claimant = claimantOf(socket, joined.token)
    return { joined, claimant, result: await claimInStore(ctx, joined, claimant) }
  })()
  const { done } = await ctx.sessions.verifyAlongside(socket, claiming, async ({ joined, claimant, result }) => {
    if (result?.granted && !result.renewed) await ctx.store.locks.release(joined.key, claimant)
  })
  return settleClaim(ctx, socket, done.joined, done.claimant, done.result)
}

/** The record session's hooks: claim on an edit page, release on leaving, grace on dropping. */
export function lockFeature(ctx: ServerContext): RecordFeature {
  return {
    async joined(socket, joined) {
      const state = !joined.locking ? null : joined.intent === 'show' ? lockState(joined.ref, await ctx.store.locks.read(joined.key)) : await claimFor(ctx, socket, joined)
      // Without locking the lease is always null; the revision of the presence read stands.
      return state ? { lease: state.lease, lockRevision: state.revision } : {}
    },
    async left(socket, joined) {
      ctx.keeper.untrack(joined.key, socket.id, joined.token)
      if (!joined.locking) return
      const { released, revision } = await ctx.store.locks.release(joined.key, holderOf(socket, joined))
      if (released) {
        void ctx.audit({ kind: 'released', ref: joined.ref, user: socket.data.user, reason: 'left' })
        await announceLock(ctx, joined.ref, { lease: null, revision })
      }
    },
    dropped(socket, graceMs) {
      // Every lease this socket holds, whichever join made it.
      for (const [key, held] of ctx.keeper.untrackSocket(socket.id)) {
        void holdForReconnect(ctx, key, held.ref, held.claimant, graceMs).catch((error) => ctx.logger.warn('adminjs-collaborator: grace after disconnect failed', error))
      }
    },
  }
}

export function registerLockHandlers(ctx: ServerContext, router: EventRouter): void {
  router.on('lock:claim', recordRefSchema, (socket, ref) => claimVerified(ctx, socket, ref))

  router.on('lock:takeover', recordRefSchema, async (socket, ref): Promise<LockStateEvent> => {
    await ctx.sessions.verify(socket)
    const joined = joinedEditor(socket, ref)
    const claimant = claimantOf(socket, joined.token)
    let result = await ctx.store.locks.transfer(joined.key, { kind: 'same-user' }, claimant, ctx.options.lockTtlMs)
    let cause: LockChangeCause | undefined
    // Another user's lock: only as the canTakeOver policy allows, on the lease it read (see idle.ts).
    if (!result.transferred && result.lease && result.lease.user.id !== claimant.user.id) ({ result, cause } = await takeOverByPolicy(ctx, socket, joined, claimant, result.lease))
    if (!result.transferred) {
      if (result.queued) throw new AckFailure(ErrorCode.Queued, `others wait for this record first (${result.queued.length} in line)`)
      // Refused with nobody holding it: Redis came back without its data and holders re-assert first.
      if (!result.lease) throw new AckFailure(ErrorCode.StoreUnavailable, 'the collaboration store restarted moments ago; try again shortly')
      throw new AckFailure(ErrorCode.LockHeld, `${result.lease.user.name} holds the lock`)
    }
    ctx.keeper.track(joined.key, { ref: joined.ref, claimant, socketId: socket.id })
    // A take-over by policy is audited where it is decided (idle.ts); this tab's own other tab's is a grant.
    if (!cause) void ctx.audit({ kind: 'granted', ref: joined.ref, user: socket.data.user, reason: 'other-tab' })
    queueGranted(ctx, joined.key, joined.ref, socket.id, claimant)
    await announceLock(ctx, joined.ref, result, cause)
    return lockState(joined.ref, result, cause)
  })
}

/**
 * A claim that timed out may still have run in Redis, granting a lease its tab was told it did not
 * get. Nobody would renew it, yet it would block the record for lockTtlMs. So once Redis answers
 * again, release it, unless the tab has claimed (and this process tracks) it meanwhile.
 */
function undoLateGrant(ctx: ServerContext, key: string, holder: Holder): void {
  const timer = setTimeout(() => {
    ctx.timers.delete(timer)
    if (ctx.closing || ctx.keeper.isHeldBy(key, holder.token)) return
    void ctx.store.locks.release(key, holder).catch(() => undefined) // still away: the TTL ends it
  }, ctx.options.redisConnection.commandTimeoutMs)
  timer.unref()
  ctx.timers.add(timer)
}

/**
 * A dropped editor's lease shrinks to the reconnect grace: the same tab coming back within it
 * renews the lease (same token), otherwise the record frees itself and the room is told.
 */
export async function holdForReconnect(ctx: ServerContext, key: string, ref: RecordRef, holder: Claimant, graceMs: number): Promise<void> {
  if (graceMs === 0) {
    const { released, revision } = await ctx.store.locks.release(key, holder)
    if (released) {
      void ctx.audit({ kind: 'released', ref, user: holder.user, reason: 'disconnected' })
      await announceLock(ctx, ref, { lease: null, revision })
    }
    return
  }
  if (!(await ctx.store.locks.expireIn(key, holder, graceMs))) return
  // Shutting down meanwhile: the timers were cleared already, so do not arm a new one.
  if (ctx.closing) return
  const timer = setTimeout(() => {
    ctx.timers.delete(timer)
    void ctx.store.locks
      .read(key)
      .then((state) => {
        if (state.lease) return undefined
        void ctx.audit({ kind: 'expired', ref, user: holder.user, reason: 'disconnected' })
        return announceLock(ctx, ref, state)
      })
      .catch((error) => ctx.logger.warn('adminjs-collaborator: announcing a freed lock failed', error))
  }, graceMs + 20)
  timer.unref()
  ctx.timers.add(timer)
}

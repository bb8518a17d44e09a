/**
 * The edit lock over Socket.IO: join a record (claiming its lock when editing), claim again when
 * it frees, take it over from one's own other tab, leave. Every change of holder is broadcast to
 * the record's room as `lock:state`; freeing is announced so waiting editors claim at once.
 */
import { ErrorCode, type JoinReply, type LockStateEvent, type RecordRef } from '../protocol.js'
import { StoreRecoveringError, StoreUnavailableError, type Claimant, type ClaimResult, type Lease } from '../store/store.js'
import { recordKey, recordRoom, recordUserRoom, tabRoom } from '../store/keys.js'
import { AckFailure } from './ack-failure.js'
import { authorizeRecord } from './access.js'
import type { CollabSocket, JoinedRecord, ServerContext } from './context.js'
import { handle } from './handle.js'
import { tabIdOf, toLeaseView } from './lease-view.js'
import { enterPresence, leavePresence, presenceUsers } from './presence.js'
import { joinRequestSchema, recordRefSchema } from './validation.js'

/**
 * Sends the record's holder (or null) to everyone on it. Pass the lease when the caller just got it
 * from the store, to save a round trip; otherwise it is read.
 */
export async function announceLock(ctx: ServerContext, ref: RecordRef, known?: Lease | null): Promise<void> {
  const lease = known !== undefined ? known : await ctx.store.locks.get(recordKey(ref.resourceId, ref.recordId))
  ctx.io.to(recordRoom(ref.resourceId, ref.recordId)).emit('lock:state', { ...ref, lease: toLeaseView(lease) })
}

export function claimantOf(socket: CollabSocket, token: string): Claimant {
  const { user } = socket.data
  return user.avatarUrl
    ? { token, userId: user.id, userName: user.name, avatarUrl: user.avatarUrl }
    : { token, userId: user.id, userName: user.name }
}

export function joinedRecord(socket: CollabSocket, ref: RecordRef): JoinedRecord & { key: string } {
  const key = recordKey(ref.resourceId, ref.recordId)
  const joined = socket.data.joined.get(key)
  if (!joined) throw new AckFailure(ErrorCode.NotJoined, 'join the record first')
  return { ...joined, key }
}

export function joinedEditor(socket: CollabSocket, ref: RecordRef): JoinedRecord & { key: string } {
  const joined = joinedRecord(socket, ref)
  if (joined.intent !== 'edit' || !joined.locking) throw new AckFailure(ErrorCode.Forbidden, 'this page does not edit the record')
  return joined
}

/** Claims for this tab; on a new grant starts renewing and tells the room. */
async function claimFor(ctx: ServerContext, socket: CollabSocket, joined: JoinedRecord & { key: string }): Promise<LockStateEvent> {
  const claimant = claimantOf(socket, joined.token)
  let result: ClaimResult
  try {
    result = await ctx.store.locks.claim(joined.key, claimant, ctx.options.lockTtlMs)
  } catch (error) {
    // Redis came back without its data moments ago: the record looks free, but its holder from
    // before may still re-assert it. Free, then, and the tab asks again shortly.
    if (error instanceof StoreRecoveringError) return { ...joined.ref, lease: null }
    if (error instanceof StoreUnavailableError) undoLateGrant(ctx, joined.key, claimant.token)
    throw error
  }
  if (result.granted) {
    ctx.keeper.track(joined.key, { ref: joined.ref, claimant, socketId: socket.id })
    if (!result.renewed) await announceLock(ctx, joined.ref, result.lease)
  }
  return { ...joined.ref, lease: toLeaseView(result.lease) }
}

export function registerLockHandlers(ctx: ServerContext, socket: CollabSocket): void {
  const { logger } = ctx

  handle(socket, 'lock:join', joinRequestSchema, async (request): Promise<JoinReply> => {
    const ref = { resourceId: request.resourceId, recordId: request.recordId }
    const { config } = await authorizeRecord(ctx.admin, socket.data.adminUser, ref, request.intent)
    const key = recordKey(ref.resourceId, ref.recordId)
    const joined: JoinedRecord = { ref, intent: request.intent, token: request.tabToken, tabId: tabIdOf(request.tabToken), locking: config.blockEditing, chat: config.enableChat }
    socket.data.joined.set(key, joined)
    // Into the rooms first, then read state: a change made meanwhile is broadcast to this socket too.
    await socket.join([recordRoom(ref.resourceId, ref.recordId), tabRoom(joined.tabId), recordUserRoom(ref.resourceId, ref.recordId, socket.data.user.id)])
    const presence = presenceUsers(await enterPresence(ctx, socket, joined))
    const reply = { tabId: joined.tabId, user: socket.data.user, locking: joined.locking, presence }
    if (!joined.locking) return { ...reply, lease: null }
    if (joined.intent === 'show') return { ...reply, lease: toLeaseView(await ctx.store.locks.get(key)) }
    const state = await claimFor(ctx, socket, { ...joined, key })
    return { ...reply, lease: state.lease }
  }, logger)

  handle(socket, 'lock:claim', recordRefSchema, async (ref) => claimFor(ctx, socket, joinedEditor(socket, ref)), logger)

  handle(socket, 'lock:takeover', recordRefSchema, async (ref): Promise<LockStateEvent> => {
    const joined = joinedEditor(socket, ref)
    const result = await ctx.store.locks.transfer(joined.key, { kind: 'same-user' }, claimantOf(socket, joined.token), ctx.options.lockTtlMs)
    if (!result.transferred) {
      // Refused with nobody holding it: Redis came back without its data and holders re-assert first.
      if (!result.lease) throw new AckFailure(ErrorCode.StoreUnavailable, 'the collaboration store restarted moments ago; try again shortly')
      throw new AckFailure(ErrorCode.LockHeld, `${result.lease.userName} holds the lock`)
    }
    ctx.keeper.track(joined.key, { ref: joined.ref, claimant: claimantOf(socket, joined.token), socketId: socket.id })
    await announceLock(ctx, joined.ref, result.lease)
    return { ...joined.ref, lease: toLeaseView(result.lease) }
  }, logger)

  handle(socket, 'lock:leave', recordRefSchema, async (ref): Promise<null> => {
    const joined = joinedRecord(socket, ref)
    socket.data.joined.delete(joined.key)
    await socket.leave(recordRoom(ref.resourceId, ref.recordId))
    await socket.leave(recordUserRoom(ref.resourceId, ref.recordId, socket.data.user.id))
    await leavePresence(ctx, socket.id, ref)
    ctx.keeper.untrack(joined.key, joined.token)
    if (joined.locking && (await ctx.store.locks.release(joined.key, joined.token))) await announceLock(ctx, ref, null)
    return null
  }, logger)

  socket.on('disconnect', () => {
    if (ctx.closing) return
    for (const [key, joined] of socket.data.joined) {
      void leavePresence(ctx, socket.id, joined.ref).catch((error) => logger.warn('adminjs-collaborator: leaving presence failed', error))
      if (!ctx.keeper.untrack(key, joined.token)) continue
      void holdForReconnect(ctx, key, joined).catch((error) => logger.warn('adminjs-collaborator: grace after disconnect failed', error))
    }
    socket.data.joined.clear()
  })
}

/**
 * A claim that timed out may still have run in Redis, granting a lease its tab was told it did not
 * get. Nobody would renew it, yet it would block the record for lockTtlMs. So once Redis answers
 * again, release it, unless the tab has claimed (and this process tracks) it meanwhile.
 */
function undoLateGrant(ctx: ServerContext, key: string, token: string): void {
  const timer = setTimeout(() => {
    ctx.timers.delete(timer)
    if (ctx.closing || ctx.keeper.isHeldBy(key, token)) return
    void ctx.store.locks.release(key, token).catch(() => undefined) // still away: the TTL ends it
  }, ctx.options.redisConnection.commandTimeoutMs)
  timer.unref()
  ctx.timers.add(timer)
}

/**
 * A dropped editor's lease shrinks to the reconnect grace: the same tab coming back within it
 * renews the lease (same token), otherwise the record frees itself and the room is told.
 */
async function holdForReconnect(ctx: ServerContext, key: string, joined: JoinedRecord): Promise<void> {
  const graceMs = ctx.options.reconnectGraceMs
  if (graceMs === 0) {
    if (await ctx.store.locks.release(key, joined.token)) await announceLock(ctx, joined.ref, null)
    return
  }
  if (!(await ctx.store.locks.expireIn(key, joined.token, graceMs))) return
  // Shutting down meanwhile: the timers were cleared already, so do not arm a new one.
  if (ctx.closing) return
  const timer = setTimeout(() => {
    ctx.timers.delete(timer)
    void ctx.store.locks
      .get(key)
      .then((lease) => (lease ? undefined : announceLock(ctx, joined.ref, null)))
      .catch((error) => ctx.logger.warn('adminjs-collaborator: announcing a freed lock failed', error))
  }, graceMs + 20)
  timer.unref()
  ctx.timers.add(timer)
}

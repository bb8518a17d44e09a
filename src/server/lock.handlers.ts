/**
 * The edit lock over Socket.IO: join a record (claiming its lock when editing), claim again when
 * it frees, take it over from one's own other tab, leave. Every change of holder is broadcast to
 * the record's room as `lock:state`; freeing is announced so waiting editors claim at once.
 *
 * A record is keyed by its id as the resource returns it, whatever spelling the client sent
 * (`01`, ` 1`, `1.0` are all Post 1). One socket is joined to a record once, with one token, and
 * holds at most one lease per record; every lease it made is released or put into grace when it
 * leaves. Every join and claim re-reads the socket's session first (see SessionWatch).
 */
import { ErrorCode, type JoinReply, type LockStateEvent, type RecordRef } from '../protocol.js'
import { StoreRecoveringError, StoreUnavailableError, type Claimant, type ClaimResult, type Holder, type Lease } from '../store/store.js'
import { recordKey, recordRoom, recordUserRoom, tabRoom } from '../store/keys.js'
import { AckFailure } from './ack-failure.js'
import { authorizeRecord } from './access.js'
import type { CollabSocket, JoinedRecord, ServerContext } from './context.js'
import type { EventRouter } from './event-router.js'
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

/** The lease this socket's join of a record may hold: its token, and its user. */
export function holderOf(socket: CollabSocket, joined: JoinedRecord): Holder {
  return { token: joined.token, userId: socket.data.user.id }
}

/** The record this socket joined under `ref`, whichever spelling of the id it used then or now. */
export function joinedRecord(socket: CollabSocket, ref: RecordRef): JoinedRecord & { key: string } {
  const sent = recordKey(ref.resourceId, ref.recordId)
  const key = socket.data.aliases.get(sent) ?? sent
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
    if (error instanceof StoreUnavailableError) undoLateGrant(ctx, joined.key, claimant)
    throw error
  }
  if (result.granted) {
    ctx.keeper.track(joined.key, { ref: joined.ref, claimant, socketId: socket.id })
    if (!result.renewed) await announceLock(ctx, joined.ref, result.lease)
  }
  return { ...joined.ref, lease: toLeaseView(result.lease) }
}

/**
 * Takes this socket off a record: rooms, presence, and the lease its join holds. `grace`: keep the
 * lease for the reconnect grace (the connection dropped) instead of releasing it (the tab left).
 */
async function leaveRecord(ctx: ServerContext, socket: CollabSocket, key: string, joined: JoinedRecord): Promise<void> {
  socket.data.joined.delete(key)
  for (const [alias, target] of socket.data.aliases) if (target === key) socket.data.aliases.delete(alias)
  const { ref } = joined
  await socket.leave(recordRoom(ref.resourceId, ref.recordId))
  await socket.leave(recordUserRoom(ref.resourceId, ref.recordId, socket.data.user.id))
  await leavePresence(ctx, socket.id, ref)
  ctx.keeper.untrack(key, socket.id, joined.token)
  if (joined.locking && (await ctx.store.locks.release(key, holderOf(socket, joined)))) await announceLock(ctx, ref, null)
}

export function registerLockHandlers(ctx: ServerContext, socket: CollabSocket, router: EventRouter): void {
  const { logger } = ctx

  router.on('lock:join', joinRequestSchema, async (request): Promise<JoinReply> => {
    const adminUser = await ctx.sessions.verify(socket)
    const sent = { resourceId: request.resourceId, recordId: request.recordId }
    const { config, record } = await authorizeRecord(ctx.admin, adminUser, sent, request.intent)
    // The id as the resource returns it: every spelling of one record is one key.
    const ref = { resourceId: sent.resourceId, recordId: String(record.id()) }
    const key = recordKey(ref.resourceId, ref.recordId)
    const previous = socket.data.joined.get(key)
    if (previous && (previous.token !== request.tabToken || previous.intent !== request.intent)) {
      // One join per record and socket: a join with another token or intent replaces the earlier
      // one, whose lease is released first, so no lease is left that nobody will ever give up.
      await leaveRecord(ctx, socket, key, previous)
    } else if (!previous && socket.data.joined.size >= ctx.options.maxRecordsPerSocket) {
      throw new AckFailure(ErrorCode.TooManyRecords, `a connection may be on at most ${ctx.options.maxRecordsPerSocket} records at once`)
    }
    const joined: JoinedRecord = { ref, intent: request.intent, token: request.tabToken, tabId: tabIdOf(request.tabToken), locking: config.blockEditing, chat: config.enableChat }
    socket.data.joined.set(key, joined)
    socket.data.aliases.set(recordKey(sent.resourceId, sent.recordId), key)
    // Into the rooms first, then read state: a change made meanwhile is broadcast to this socket too.
    await socket.join([recordRoom(ref.resourceId, ref.recordId), tabRoom(socket.data.user.id, joined.tabId), recordUserRoom(ref.resourceId, ref.recordId, socket.data.user.id)])
    const presence = presenceUsers(await enterPresence(ctx, socket, joined))
    const reply = { tabId: joined.tabId, user: socket.data.user, locking: joined.locking, presence }
    if (!joined.locking) return { ...reply, lease: null }
    if (joined.intent === 'show') return { ...reply, lease: toLeaseView(await ctx.store.locks.get(key)) }
    const state = await claimFor(ctx, socket, { ...joined, key })
    return { ...reply, lease: state.lease }
  })

  router.on('lock:claim', recordRefSchema, async (ref) => {
    await ctx.sessions.verify(socket)
    return claimFor(ctx, socket, joinedEditor(socket, ref))
  })

  router.on('lock:takeover', recordRefSchema, async (ref): Promise<LockStateEvent> => {
    await ctx.sessions.verify(socket)
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
  })

  router.on('lock:leave', recordRefSchema, async (ref): Promise<null> => {
    const joined = joinedRecord(socket, ref)
    await leaveRecord(ctx, socket, joined.key, joined)
    return null
  })

  socket.on('disconnect', () => {
    if (ctx.closing) return
    // The session ended (logout, expiry): the user left, so no grace for a reconnect.
    const graceMs = socket.data.ended ? 0 : ctx.options.reconnectGraceMs
    for (const joined of socket.data.joined.values()) {
      void leavePresence(ctx, socket.id, joined.ref).catch((error) => logger.warn('adminjs-collaborator: leaving presence failed', error))
    }
    // Every lease this socket holds, whichever join made it.
    for (const [key, held] of ctx.keeper.untrackSocket(socket.id)) {
      void holdForReconnect(ctx, key, held.ref, held.claimant, graceMs).catch((error) => logger.warn('adminjs-collaborator: grace after disconnect failed', error))
    }
    socket.data.joined.clear()
    socket.data.aliases.clear()
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
async function holdForReconnect(ctx: ServerContext, key: string, ref: RecordRef, holder: Holder, graceMs: number): Promise<void> {
  if (graceMs === 0) {
    if (await ctx.store.locks.release(key, holder)) await announceLock(ctx, ref, null)
    return
  }
  if (!(await ctx.store.locks.expireIn(key, holder, graceMs))) return
  // Shutting down meanwhile: the timers were cleared already, so do not arm a new one.
  if (ctx.closing) return
  const timer = setTimeout(() => {
    ctx.timers.delete(timer)
    void ctx.store.locks
      .get(key)
      .then((lease) => (lease ? undefined : announceLock(ctx, ref, null)))
      .catch((error) => ctx.logger.warn('adminjs-collaborator: announcing a freed lock failed', error))
  }, graceMs + 20)
  timer.unref()
  ctx.timers.add(timer)
}

/**
 * Attention requests and hand-over. A viewer asks the editor to finish (at most once per
 * `notificationRequestIntervalMs` per user and record, enforced in the store so every process
 * counts the same); the editor's tab alone is told, and may hand the lock to the asking tab.
 * The hand-over is one atomic transfer from the holder's token: a third claimer racing it is
 * denied, because the lock is held until the very step that gives it away.
 */
import { ErrorCode, type AttentionReply, type LockStateEvent } from '../protocol.js'
import { tabRoom } from '../store/keys.js'
import { AckFailure } from './ack-failure.js'
import type { ServerContext } from './context.js'
import type { EventRouter } from './event-router.js'
import { tabIdOf } from './lease-view.js'
import { announceLock, claimantOf, holderOf, joinedEditor, lockState } from './lock.handlers.js'
import { joinedRecord } from './record-session.js'
import { handOverRequestSchema, recordRefSchema } from './validation.js'

/** How long an asking tab stays eligible for a hand-over. */
const CANDIDATE_TTL_MS = 10 * 60_000

export function registerAttentionHandlers(ctx: ServerContext, router: EventRouter): void {
  router.on('attention:request', recordRefSchema, async (socket, ref): Promise<AttentionReply> => {
    const joined = joinedRecord(socket, ref)
    const lease = await ctx.store.locks.get(joined.key)
    if (!lease) throw new AckFailure(ErrorCode.NotFound, 'nobody is editing this record')
    if (lease.token === joined.token) throw new AckFailure(ErrorCode.Forbidden, 'you are the editor')
    const intervalMs = ctx.options.notificationRequestIntervalMs
    const retryInMs = intervalMs > 0 ? await ctx.store.attention.throttle(`${joined.key}:${encodeURIComponent(socket.data.user.id)}`, intervalMs) : 0
    if (retryInMs > 0) {
      throw new AckFailure(ErrorCode.RateLimited, `you asked less than ${Math.ceil(intervalMs / 1000)} s ago`, retryInMs)
    }
    // Only a tab on the edit page can take the lock, so only it becomes a hand-over candidate.
    if (joined.intent === 'edit' && joined.locking) {
      await ctx.store.attention.putCandidate(joined.key, joined.tabId, claimantOf(socket, joined.token), CANDIDATE_TTL_MS)
    }
    ctx.io.to(tabRoom(lease.user.id, tabIdOf(lease.token))).emit('attention:requested', { ...joined.ref, from: socket.data.user, fromTabId: joined.tabId, atMs: Date.now() })
    return { retryInMs: intervalMs }
  })

  router.on('lock:handover', handOverRequestSchema, async (socket, request): Promise<LockStateEvent> => {
    const ref = { resourceId: request.resourceId, recordId: request.recordId }
    const joined = joinedEditor(socket, ref)
    const candidate = await ctx.store.attention.takeCandidate(joined.key, request.toTabId)
    if (!candidate) throw new AckFailure(ErrorCode.NotFound, 'that tab has not asked for the lock, or has left')
    // Only to a tab on the record's edit page now (on any process: presence is shared). A tab that
    // asked, then left or went to the show page, could never edit, and nobody else could either.
    const onEditPage = (await ctx.store.presence.list(joined.key)).entries.some(
      (entry) => entry.tabId === request.toTabId && entry.user.id === candidate.user.id && entry.intent === 'edit',
    )
    if (!onEditPage) throw new AckFailure(ErrorCode.NotFound, 'that tab has left the edit page')
    const result = await ctx.store.locks.transfer(joined.key, { kind: 'holder', holder: holderOf(socket, joined) }, candidate, ctx.options.lockTtlMs)
    if (!result.transferred) throw new AckFailure(ErrorCode.LockHeld, 'you no longer hold the lock')
    // The new holder's tab confirms with a claim, which makes its own process renew the lease.
    ctx.keeper.untrack(joined.key, socket.id, joined.token)
    void ctx.audit({ kind: 'handed-over', ref: joined.ref, user: socket.data.user, by: candidate.user, reason: 'attention' })
    await announceLock(ctx, joined.ref, result)
    return lockState(joined.ref, result)
  })
}

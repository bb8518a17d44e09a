/**
 * Locks a team can govern (#13): idle release with a warning, and take-over by policy.
 *
 * Idle release: the holder's page reports activity (`lock:activity`, throttled), recorded in the
 * store with `locks.touch` for the holder's token and user only, at this server's clock, so a page
 * cannot keep a lease by lying about time and a copied token of another user counts for nothing.
 * One timer per process reads the leases its lease keeper renews (their holders are connected
 * here): `idleWarningMs` before `idleTimeoutMs` of inactivity the holder's tab gets
 * `lock:idle-warning`, and at `idleTimeoutMs` the lease is released (the very grant it read: token
 * and fence) and the room hears `lock:state` with `cause: { kind: 'idle' }`, so waiting editors
 * claim as after any release while the idle tab keeps its input as a draft and stops claiming.
 * `lastActiveMs` lives in the store, so whichever process holds the socket decides the same.
 *
 * Take-over by policy: `lock:takeover-policy` answers whether `canTakeOver` lets this viewer take
 * the lock now (the overlay's button); `lock:takeover` from another user asks it again and then
 * transfers with the condition 'unchanged' on the lease the policy read: any activity, release or
 * grant in between makes the transfer take nothing. Racing take-overs: exactly one wins.
 */
import { ErrorCode, type HolderActivityEvent, type IdleWarningEvent, type LockChangeCause, type LockStateEvent, type RecordRef, type TakeOverAnswer } from '../protocol.js'
import type { TakeOverDecision } from '../options.js'
import type { Claimant, Lease, TransferResult } from '../store/store.js'
import { recordAudience } from '../store/keys.js'
import { findRecord } from './access.js'
import { AckFailure } from './ack-failure.js'
import type { CollabSocket, ServerContext } from './context.js'
import type { EventRouter } from './event-router.js'
import type { HeldLease } from './lease-keeper.js'
import { tabIdOf } from './lease-view.js'
import { joinedRecord, type JoinedAt } from './record-session.js'
import { activityReportSchema, recordRefSchema } from './validation.js'
import { HolderActivityNews } from './holder-activity.js'

/** How often the idle watch looks at most: often enough for a warning of a few seconds. */
const MIN_TICK_MS = 250

/** The edit page of a locking resource: only it reports activity and takes over. */
function joinedEditPage(socket: CollabSocket, ref: RecordRef): JoinedAt {
  const joined = joinedRecord(socket, ref)
  if (joined.intent !== 'edit' || !joined.locking) throw new AckFailure(ErrorCode.Forbidden, 'this page does not edit the record')
  return joined
}

/**
 * Releases the leases of this process's idle editors, warning them first. Reads each kept lease
 * once per tick (a GET, as the keeper's heartbeat is one call per lease per interval).
 */
export class IdleWatch {
  private readonly timer: NodeJS.Timeout | undefined
  /** Record key → the `lastActiveMs` its holder was warned for (warned once per quiet spell). */
  private readonly warned = new Map<string, number>()
  private ticking = false

  constructor(private readonly ctx: ServerContext) {
    const { idleTimeoutMs, idleWarningMs, heartbeatIntervalMs } = ctx.options
    if (idleTimeoutMs === 0) return
    // A warning of 60 s is looked at every 10 s (the heartbeat), one of 2 s every 500 ms.
    const tickMs = Math.max(MIN_TICK_MS, Math.min(heartbeatIntervalMs, Math.floor(Math.min(idleWarningMs || idleTimeoutMs, idleTimeoutMs) / 4)))
    this.timer = setInterval(() => void this.tick(), tickMs)
    this.timer.unref()
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.ctx.closing) return
    this.ticking = true
    try {
      const kept = [...this.ctx.keeper.entries()]
      const keys = new Set(kept.map(([key]) => key))
      for (const key of this.warned.keys()) if (!keys.has(key)) this.warned.delete(key)
      // A store away: the keeper keeps the lease, and the next tick looks again.
      await Promise.all(kept.map(([key, held]) => this.check(key, held).catch(() => undefined)))
    } finally {
      this.ticking = false
    }
  }

  private async check(key: string, held: HeldLease): Promise<void> {
    const { idleTimeoutMs, idleWarningMs } = this.ctx.options
    const lease = await this.ctx.store.locks.get(key)
    if (!lease || lease.token !== held.claimant.token || lease.user.id !== held.claimant.user.id) {
      this.warned.delete(key)
      return
    }
    const releaseInMs = lease.lastActiveMs + idleTimeoutMs - Date.now()
    if (releaseInMs <= 0) return this.release(key, held, lease)
    if (releaseInMs > idleWarningMs) {
      this.warned.delete(key)
      return
    }
    if (this.warned.get(key) === lease.lastActiveMs) return
    this.warned.set(key, lease.lastActiveMs)
    const warning: IdleWarningEvent = { ...held.ref, releaseInMs }
    this.ctx.io.of('/').sockets.get(held.socketId)?.emit('lock:idle-warning', warning)
  }

  private async release(key: string, held: HeldLease, lease: Lease): Promise<void> {
    this.warned.delete(key)
    // Not renewed from now on: a renewal racing this release must not re-assert the lease.
    this.ctx.keeper.untrack(key, held.socketId, held.claimant.token)
    let result
    try {
      result = await this.ctx.store.locks.forceRelease(key, { token: lease.token, fence: lease.fence })
    } catch (error) {
      this.ctx.keeper.track(key, held)
      throw error
    }
    if (!result.released) return
    void this.ctx.audit({ kind: 'idle-released', ref: held.ref, user: lease.user, reason: `no activity for ${this.ctx.options.idleTimeoutMs} ms` })
    const cause: LockChangeCause = { kind: 'idle', fromTabId: tabIdOf(lease.token) }
    const state: LockStateEvent = { ...held.ref, lease: null, revision: result.revision, cause }
    this.ctx.io.to(recordAudience(held.ref.resourceId, held.ref.recordId)).emit('lock:state', state)
  }

  close(): void {
    clearInterval(this.timer)
    this.warned.clear()
  }
}

/** The policy's answer for `claimant` against the lease as read: the option's, or the default's. */
async function decide(ctx: ServerContext, socket: CollabSocket, ref: RecordRef, lease: Lease): Promise<TakeOverAnswer> {
  const idleMs = Math.max(0, Date.now() - lease.lastActiveMs)
  const base = { lastActiveMs: lease.lastActiveMs, idleMs }
  const policy = ctx.options.canTakeOver
  if (!policy) {
    const waitMs = ctx.options.takeOverAfterIdleMs - idleMs
    return waitMs <= 0 ? { ...base, allowed: true } : { ...base, allowed: false, retryInMs: waitMs }
  }
  const { resource, record } = await findRecord(ctx.admin, ref)
  let decision: TakeOverDecision
  try {
    decision = await policy({
      user: socket.data.user,
      currentAdmin: socket.data.adminUser,
      holder: { user: lease.user, sinceMs: lease.sinceMs, lastActiveMs: lease.lastActiveMs, idleMs },
      resource,
      record,
    })
  } catch (error) {
    ctx.logger.warn('adminjs-collaborator: canTakeOver threw; refusing the take-over', error)
    return { ...base, allowed: false }
  }
  if (typeof decision === 'boolean') return { ...base, allowed: decision }
  const allowed = decision?.allowed === true
  const reason = typeof decision?.reason === 'string' && decision.reason.length > 0 ? decision.reason.slice(0, 500) : undefined
  return reason && !allowed ? { ...base, allowed, reason } : { ...base, allowed }
}

/**
 * A take-over of another user's lock (the lock:takeover handler's second case): allowed by the
 * policy on the lease as read, then transferred only if that lease is unchanged. Throws
 * `lock_held` when refused or when the lease changed meanwhile.
 */
export async function takeOverByPolicy(
  ctx: ServerContext,
  socket: CollabSocket,
  joined: JoinedAt,
  claimant: Claimant,
  lease: Lease,
): Promise<{ result: TransferResult & { transferred: true }; cause: LockChangeCause }> {
  const answer = await decide(ctx, socket, joined.ref, lease)
  if (!answer.allowed) throw new AckFailure(ErrorCode.LockHeld, answer.reason ?? `${lease.user.name} holds the lock and may not be taken over yet`)
  const result = await ctx.store.locks.transfer(joined.key, { kind: 'unchanged', lease }, claimant, ctx.options.lockTtlMs)
  if (!result.transferred) throw new AckFailure(ErrorCode.LockHeld, 'the lock changed while the take-over was decided')
  void ctx.audit({ kind: 'taken-over', ref: joined.ref, user: lease.user, by: claimant.user, reason: answer.reason ?? 'allowed by canTakeOver' })
  return { result, cause: { kind: 'taken-over', fromTabId: tabIdOf(lease.token) } }
}

export function registerIdleHandlers(ctx: ServerContext, router: EventRouter): void {
  const news = new HolderActivityNews()
  router.on('lock:activity', activityReportSchema, async (socket, { unsaved, ...ref }) => {
    const joined = joinedEditPage(socket, ref)
    // Only the holder's own token and user move it; anyone else's report changes nothing.
    const lease = await ctx.store.locks.touch(joined.key, { token: joined.token, user: { id: socket.data.user.id } }, Date.now(), unsaved)
    if (lease && news.isNews(joined.key, lease)) {
      const event: HolderActivityEvent = { ...joined.ref, fence: lease.fence, idleMs: Math.max(0, Date.now() - lease.lastActiveMs), unsaved: lease.unsaved }
      ctx.io.to(recordAudience(joined.ref.resourceId, joined.ref.recordId)).emit('lock:holder', event)
    }
    return null
  })

  router.on('lock:takeover-policy', recordRefSchema, async (socket, ref): Promise<TakeOverAnswer> => {
    const joined = joinedEditPage(socket, ref)
    const lease = await ctx.store.locks.get(joined.key)
    if (!lease) return { allowed: false, lastActiveMs: null, idleMs: null }
    if (lease.user.id === socket.data.user.id) return { allowed: true, lastActiveMs: lease.lastActiveMs, idleMs: Math.max(0, Date.now() - lease.lastActiveMs) }
    return decide(ctx, socket, joined.ref, lease)
  })
}

/**
 * A record's line ("Notify me when free") over Socket.IO. An edit page joins or leaves it with
 * `lock:queue`; the store keeps the order and, once the record is free, refuses every claim but the
 * first in line's (see `QueueStore`), which the claim answers `queued`. Every change of the line the
 * server learns of is told to the record's room as `queue:state`, with the record's revision:
 * joins and leaves, a turn starting or ending unused (found by a refused claim or by the renewal
 * tick), the first in line getting the lock, a tab leaving the edit page or dropping.
 *
 * Entries are renewed by the process whose socket joined them (QueueKeeper, on the heartbeat
 * timer) as long as that socket is on the record's edit page, and removed when it leaves or drops:
 * no grace, a tab that went away gives its place up. A dead process's entries run out after
 * `lockTtlMs`, as its presence does.
 */
import { ErrorCode, type QueueReply, type QueueStateEvent, type RecordRef } from '../protocol.js'
import { recordRoom } from '../store/keys.js'
import type { Holder, QueueEntry, QueueRefusedError, QueueSnapshot, QueueStore } from '../store/store.js'
import { AckFailure } from './ack-failure.js'
import type { CollabSocket, ServerContext } from './context.js'
import type { EventRouter } from './event-router.js'
import { tabIdOf } from './lease-view.js'
import type { RecordFeature } from './record-session.js'
import { joinedRecord } from './record-session.js'
import { queueRequestSchema } from './validation.js'

/** A claim refused by the line; the join of an edit page answers it as a free lock it does not hold. */
export class QueuedFailure extends AckFailure {
  constructor(
    readonly refusal: QueueRefusedError,
    readonly revision: number,
  ) {
    super(ErrorCode.Queued, refusal.message)
    this.name = 'QueuedFailure'
  }
}

interface Waiting {
  socketId: string
  entry: QueueEntry
}

/**
 * This process's tabs in line, renewed on one timer, one store call per record. It also remembers
 * the last revision of each line it told a room about, so that a refusal that changed nothing
 * (the same turn still running) is not announced again.
 */
export class QueueKeeper {
  private readonly records = new Map<string, { ref: RecordRef; waiting: Map<string, Waiting> }>()
  private readonly announced = new Map<string, number>()
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly queue: QueueStore,
    private readonly ttlMs: number,
    intervalMs: number,
    /** Settling the line dropped someone (expired, or a turn ended unused): the room should hear it. */
    private readonly onChanged: (recordKey: string, ref: RecordRef) => void,
  ) {
    this.timer = setInterval(() => void this.renewAll(), intervalMs)
    this.timer.unref()
  }

  track(recordKey: string, ref: RecordRef, socketId: string, entry: QueueEntry): void {
    const record = this.records.get(recordKey) ?? { ref, waiting: new Map<string, Waiting>() }
    record.waiting.set(entry.token, { socketId, entry })
    this.records.set(recordKey, record)
  }

  /** Whether this process keeps `token`'s entry in the record's line (it joined here and is still there). */
  isTracked(recordKey: string, token: string): boolean {
    return this.records.get(recordKey)?.waiting.has(token) ?? false
  }

  /** Stops renewing the entry, but only for the socket and user that joined it; true when it was kept. */
  untrack(recordKey: string, socketId: string, holder: Holder): boolean {
    const record = this.records.get(recordKey)
    const waiting = record?.waiting.get(holder.token)
    if (!record || !waiting || waiting.socketId !== socketId || waiting.entry.user.id !== holder.user.id) return false
    record.waiting.delete(holder.token)
    if (record.waiting.size === 0) this.records.delete(recordKey)
    return true
  }

  /** Stops renewing every entry of this socket (it is gone), and returns them. */
  untrackSocket(socketId: string): Array<{ recordKey: string; ref: RecordRef; entry: QueueEntry }> {
    const gone: Array<{ recordKey: string; ref: RecordRef; entry: QueueEntry }> = []
    for (const [recordKey, record] of this.records) {
      for (const [token, waiting] of record.waiting) {
        if (waiting.socketId !== socketId) continue
        record.waiting.delete(token)
        gone.push({ recordKey, ref: record.ref, entry: waiting.entry })
      }
      if (record.waiting.size === 0) this.records.delete(recordKey)
    }
    return gone
  }

  /** Whether a newer state of the line than any announced before; remembers it unless only peeking. */
  isNews(recordKey: string, revision: number, peek = false): boolean {
    if ((this.announced.get(recordKey) ?? -1) >= revision) return false
    if (!peek) this.announced.set(recordKey, revision)
    return true
  }

  /** The line is empty: nothing to remember about it. */
  forget(recordKey: string): void {
    if (!this.records.has(recordKey)) this.announced.delete(recordKey)
  }

  private async renewAll(): Promise<void> {
    await Promise.all(
      [...this.records].map(async ([recordKey, { ref, waiting }]) => {
        try {
          if (await this.queue.renew(recordKey, [...waiting.keys()], this.ttlMs)) this.onChanged(recordKey, ref)
        } catch {
          // The store is unreachable: try again next tick; entries outlive a few missed renewals.
        }
      }),
    )
  }

  /** Joins every kept entry again, in their order of arrival (the store came back, perhaps empty). */
  async rejoinAll(turnMs: number): Promise<void> {
    await Promise.all(
      [...this.records].map(async ([recordKey, { ref, waiting }]) => {
        try {
          const entries = [...waiting.values()].sort((a, b) => a.entry.sinceMs - b.entry.sinceMs)
          for (const one of entries) if (waiting.get(one.entry.token) === one) await this.queue.join(recordKey, one.entry, this.ttlMs, turnMs)
          this.onChanged(recordKey, ref)
        } catch {
          // Down again: the next recovery writes them.
        }
      }),
    )
  }

  close(): void {
    clearInterval(this.timer)
    this.records.clear()
    this.announced.clear()
  }
}

/** The line as the room hears it: people, places and the turn, never tokens. */
export function queueState(ref: RecordRef, snapshot: QueueSnapshot): QueueStateEvent {
  return {
    ...ref,
    entries: snapshot.entries.map(({ user, token, position, sinceMs }) => ({ user, tabId: tabIdOf(token), position, sinceMs })),
    turnEndsInMs: snapshot.turnEndsAtMs === null ? null : Math.max(0, snapshot.turnEndsAtMs - Date.now()),
    revision: snapshot.revision,
  }
}

/** Tells the record's room its line (read now unless given), unless the room heard this revision already. */
export async function announceQueue(ctx: ServerContext, key: string, ref: RecordRef, known?: QueueSnapshot): Promise<void> {
  const snapshot = known ?? (await ctx.store.queue.list(key))
  if (!ctx.queueKeeper.isNews(key, snapshot.revision)) return
  if (snapshot.entries.length === 0) ctx.queueKeeper.forget(key)
  ctx.io.to(recordRoom(ref.resourceId, ref.recordId)).emit('queue:state', queueState(ref, snapshot))
}

function announceLater(ctx: ServerContext, key: string, ref: RecordRef): void {
  void announceQueue(ctx, key, ref).catch((error) => ctx.logger.warn('adminjs-collaborator: announcing the queue failed', error))
}

/**
 * The claim's side (lock.handlers): a claim refused by the line. The room hears the line when the
 * refusal changed it (started the first's turn, or dropped a first whose turn ended unused).
 */
export function queueRefused(ctx: ServerContext, key: string, ref: RecordRef, error: QueueRefusedError): QueuedFailure {
  // Read again to be announced: the refusal names only the first, the room hears everyone's place.
  if (ctx.queueKeeper.isNews(key, error.revision, true)) announceLater(ctx, key, ref)
  return new QueuedFailure(error, error.revision)
}

/**
 * The claim's side: a new grant (or a handed-over lease confirmed) to a tab this process kept in
 * line. The store took it out of the line; the others move up, and hear so.
 */
export function queueGranted(ctx: ServerContext, key: string, ref: RecordRef, socketId: string, holder: Holder): void {
  if (ctx.queueKeeper.untrack(key, socketId, holder)) announceLater(ctx, key, ref)
}

/** Why a tab left the line, as the audit says it (`queue-left`). */
type LeaveReason = 'left the line' | 'left the page' | 'disconnected'

async function leaveLine(
  ctx: ServerContext,
  socket: Pick<CollabSocket, 'data'>,
  key: string,
  ref: RecordRef,
  holder: Holder,
  reason: LeaveReason,
): Promise<QueueSnapshot & { left: boolean }> {
  const result = await ctx.store.queue.leave(key, holder)
  if (result.left) {
    void ctx.audit({ kind: 'queue-left', ref, user: socket.data.user, reason })
    await announceQueue(ctx, key, ref, result)
  }
  return result
}

function reply(ref: RecordRef, snapshot: QueueSnapshot, token: string): QueueReply {
  return { ...queueState(ref, snapshot), position: snapshot.entries.find((entry) => entry.token === token)?.position ?? null }
}

/** The record session's hooks: a tab that leaves the record or drops leaves its line. */
export function queueFeature(ctx: ServerContext): RecordFeature {
  return {
    async joined() {
      return {}
    },
    async left(socket, joined) {
      const holder = { token: joined.token, user: { id: socket.data.user.id } }
      if (ctx.queueKeeper.untrack(joined.key, socket.id, holder)) await leaveLine(ctx, socket, joined.key, joined.ref, holder, 'left the page')
    },
    dropped(socket: CollabSocket) {
      for (const { recordKey: key, ref, entry } of ctx.queueKeeper.untrackSocket(socket.id)) {
        void leaveLine(ctx, socket, key, ref, { token: entry.token, user: { id: entry.user.id } }, 'disconnected').catch((error) =>
          ctx.logger.warn('adminjs-collaborator: leaving the queue failed', error),
        )
      }
    },
  }
}

export function registerQueueHandlers(ctx: ServerContext, router: EventRouter): void {
  router.on('lock:queue', queueRequestSchema, async (socket, request): Promise<QueueReply> => {
    const joined = joinedRecord(socket, { resourceId: request.resourceId, recordId: request.recordId })
    // Only a tab that could take the lock waits for it: the edit page of a record that locks.
    if (joined.intent !== 'edit' || !joined.locking) throw new AckFailure(ErrorCode.Forbidden, 'only an edit page can wait for the lock')
    const holder = { token: joined.token, user: { id: socket.data.user.id } }
    if (request.action === 'list') return reply(joined.ref, await ctx.store.queue.list(joined.key), joined.token)
    if (request.action === 'leave') {
      ctx.queueKeeper.untrack(joined.key, socket.id, holder)
      return reply(joined.ref, await leaveLine(ctx, socket, joined.key, joined.ref, holder, 'left the line'), joined.token)
    }
    await ctx.sessions.verify(socket)
    if (ctx.keeper.isHeldBy(joined.key, joined.token)) throw new AckFailure(ErrorCode.Forbidden, 'this tab holds the lock')
    const entry: QueueEntry = { token: joined.token, user: socket.data.user, sinceMs: Date.now() }
    const result = await ctx.store.queue.join(joined.key, entry, ctx.options.lockTtlMs, ctx.options.queueTurnMs)
    // The token waits in line for another user (a copied token): proves nothing, changes nothing.
    if (!result.joined) throw new AckFailure(ErrorCode.Forbidden, 'this tab cannot join the line')
    // Checked after the await: a tab that left the record meanwhile gives its place up at once.
    if (socket.data.joined.get(joined.key)?.token !== joined.token || !socket.connected) {
      const left = await ctx.store.queue.leave(joined.key, holder)
      if (left.left) await announceQueue(ctx, joined.key, joined.ref, left)
      throw new AckFailure(ErrorCode.NotJoined, 'join the record first')
    }
    // A second "Notify me" of a tab already in line keeps its place: one entry in the audit.
    const position = result.entries.find((one) => one.token === joined.token)?.position
    if (!ctx.queueKeeper.isTracked(joined.key, joined.token))
      void ctx.audit({ kind: 'queue-joined', ref: joined.ref, user: socket.data.user, reason: `number ${position ?? '?'} of ${result.entries.length} in line` })
    ctx.queueKeeper.track(joined.key, joined.ref, socket.id, entry)
    await announceQueue(ctx, joined.key, joined.ref, result)
    return reply(joined.ref, result, joined.token)
  })
}

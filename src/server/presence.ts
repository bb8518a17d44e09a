/**
 * Who is on a record. Every joined socket has one presence entry in the store, renewed by its own
 * process on the keeper's timer; an entry whose process died expires after `lockTtlMs`, and the next
 * renewal by any process still on that record notices and tells the room. So someone gone
 * disappears within lockTtlMs + heartbeatIntervalMs at worst, at once when their socket closes.
 *
 * What the room is told is what changed, person by person, never the whole list again: a join or
 * leave changes one person's line (`PresenceChange`, computed from the list the store returns with
 * the change, at that change's revision). A process sends one `presence:changed` per record per
 * event-loop turn with every line that changed in it (a burst of joins is one message, not one
 * whole list per join to everyone). The whole list goes out (`presence:state`) only when a change
 * is not one person's: the store dropped expired entries on the way, or the keeper asks (a renewal
 * found someone expired, the store came back). Late joiners get the whole list in their join reply.
 */
import type { PresenceChange, PresenceUser, RecordRef, Revision } from '../protocol.js'
import { recordAudience, recordKey, recordRoom } from '../store/keys.js'
import type { PresenceEntry, PresenceSnapshot, PresenceUpdate } from '../store/store.js'
import type { CollabSocket, JoinedRecord, ServerContext } from './context.js'

/** One line per person, however many tabs: the same user in three tabs appears once. */
export function presenceUsers(entries: PresenceEntry[]): PresenceUser[] {
  const byUser = new Map<string, PresenceUser>()
  for (const entry of entries) {
    const known = byUser.get(entry.user.id)
    if (known) {
      known.tabs += 1
      known.onEditPage ||= entry.intent === 'edit'
      known.sinceMs = Math.min(known.sinceMs, entry.sinceMs)
      continue
    }
    byUser.set(entry.user.id, { user: entry.user, tabs: 1, onEditPage: entry.intent === 'edit', sinceMs: entry.sinceMs })
  }
  // Ties by user id, as the page orders them too (components/hooks/presence-map.ts).
  return [...byUser.values()].sort((a, b) => a.sinceMs - b.sinceMs || (a.user.id < b.user.id ? -1 : a.user.id > b.user.id ? 1 : 0))
}

/** `userId`'s line in `entries` (their tabs there), null when they have none. */
export function presenceChange(entries: PresenceEntry[], userId: string, revision: Revision): PresenceChange {
  return { userId, person: presenceUsers(entries.filter((entry) => entry.user.id === userId))[0] ?? null, revision }
}

/** What a process has still to tell one record's room this turn. */
interface Pending {
  ref: RecordRef
  /** The newest whole list to send, if any. */
  state: { users: PresenceUser[]; revision: Revision } | null
  /** By user id, the newest line of each person changed since (newer than `state`). */
  changes: Map<string, PresenceChange>
}

/** Per server (a test runs several in one process): records with something to tell, by room. */
const pendingByServer = new WeakMap<ServerContext, Map<string, Pending>>()

function pendingFor(ctx: ServerContext, ref: RecordRef): Pending {
  let pending = pendingByServer.get(ctx)
  if (!pending) pendingByServer.set(ctx, (pending = new Map()))
  const room = recordRoom(ref.resourceId, ref.recordId)
  let record = pending.get(room)
  if (!record) {
    if (pending.size === 0) setImmediate(() => flush(ctx))
    record = { ref, state: null, changes: new Map() }
    pending.set(room, record)
  }
  return record
}

/** Sends each record's one message (two, when a whole list went out and changes came after it). */
function flush(ctx: ServerContext): void {
  const pending = pendingByServer.get(ctx)
  if (!pending) return
  pendingByServer.delete(ctx)
  if (ctx.closing) return
  for (const { ref, state, changes } of pending.values()) {
    // The record's room and the list pages that show it (list:watch).
    const audience = recordAudience(ref.resourceId, ref.recordId)
    if (state) ctx.io.to(audience).emit('presence:state', { ...ref, ...state })
    if (changes.size > 0) ctx.io.to(audience).emit('presence:changed', { ...ref, changes: [...changes.values()] })
  }
}

/** Tells the record's room everyone on it (at the next turn, with this turn's other news of it). */
export function announcePresence(ctx: ServerContext, ref: RecordRef, { entries, revision }: PresenceSnapshot): void {
  const record = pendingFor(ctx, ref)
  if (record.state && record.state.revision > revision) return
  record.state = { users: presenceUsers(entries), revision }
  for (const [userId, change] of record.changes) if (change.revision <= revision) record.changes.delete(userId)
}

/** Tells the record's room one person's new line (at the next turn, with this turn's other changes). */
function announceChange(ctx: ServerContext, ref: RecordRef, change: PresenceChange): void {
  const record = pendingFor(ctx, ref)
  if (record.state && record.state.revision >= change.revision) return
  const known = record.changes.get(change.userId)
  if (!known || known.revision < change.revision) record.changes.set(change.userId, change)
}

/** A join or leave of `userId`'s tab: their line, or everyone when expired entries went too. */
function announceUpdate(ctx: ServerContext, ref: RecordRef, userId: string | undefined, update: PresenceUpdate): void {
  if (update.expired > 0 || userId === undefined) announcePresence(ctx, ref, update)
  else announceChange(ctx, ref, presenceChange(update.entries, userId, update.revision))
}

/** Adds this socket to the record's presence; returns everyone there (for the join reply). */
export async function enterPresence(ctx: ServerContext, socket: CollabSocket, joined: JoinedRecord): Promise<PresenceSnapshot> {
  const { user } = socket.data
  const entry: PresenceEntry = {
    id: socket.id,
    user,
    tabId: joined.tabId,
    intent: joined.intent,
    sinceMs: Date.now(),
  }
  const key = recordKey(joined.ref.resourceId, joined.ref.recordId)
  let update = await ctx.store.presence.join(key, entry, ctx.options.lockTtlMs)
  let expired = update.expired
  // A tab has one socket. An older entry of this very tab is its previous connection, left behind
  // by a server process that died: drop it now rather than count the tab twice until it expires.
  // The same tab means the same user too: another user with a copied token (it travels in every
  // save's form body) must not be able to remove the token's owner from the record.
  const isStale = (other: PresenceEntry) => other.tabId === entry.tabId && other.user.id === entry.user.id && other.id !== entry.id
  for (const stale of update.entries.filter(isStale)) {
    update = await ctx.store.presence.leave(key, stale.id)
    expired += update.expired
  }
  // A socket that closed meanwhile has left already (its disconnect ran): keep nothing to renew.
  if (socket.connected) ctx.presenceKeeper.track(key, joined.ref, entry)
  announceUpdate(ctx, joined.ref, user.id, { ...update, expired })
  return update
}

export async function leavePresence(ctx: ServerContext, socketId: string, ref: RecordRef): Promise<void> {
  const key = recordKey(ref.resourceId, ref.recordId)
  const entry = ctx.presenceKeeper.untrack(key, socketId)
  // Untracked (its join had not finished): whose line changed is unknown, so everyone is told.
  announceUpdate(ctx, ref, entry?.user.id, await ctx.store.presence.leave(key, socketId))
}

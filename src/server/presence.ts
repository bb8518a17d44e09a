/**
 * Who is on a record. Every joined socket has one presence entry in the store, renewed by its own
 * process on the keeper's timer; an entry whose process died expires after `lockTtlMs`, and the next
 * renewal by any process still on that record notices and tells the room. So someone gone
 * disappears within lockTtlMs + heartbeatIntervalMs at worst, at once when their socket closes.
 */
import type { PresenceUser, RecordRef } from '../protocol.js'
import { recordKey, recordRoom } from '../store/keys.js'
import type { PresenceEntry, PresenceSnapshot } from '../store/store.js'
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
  return [...byUser.values()].sort((a, b) => a.sinceMs - b.sinceMs)
}

export function announcePresence(ctx: ServerContext, ref: RecordRef, { entries, revision }: PresenceSnapshot): void {
  ctx.io.to(recordRoom(ref.resourceId, ref.recordId)).emit('presence:state', { ...ref, users: presenceUsers(entries), revision })
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
  let snapshot = await ctx.store.presence.join(key, entry, ctx.options.lockTtlMs)
  // A tab has one socket. An older entry of this very tab is its previous connection, left behind
  // by a server process that died: drop it now rather than count the tab twice until it expires.
  // The same tab means the same user too: another user with a copied token (it travels in every
  // save's form body) must not be able to remove the token's owner from the record.
  const isStale = (other: PresenceEntry) => other.tabId === entry.tabId && other.user.id === entry.user.id && other.id !== entry.id
  for (const stale of snapshot.entries.filter(isStale)) {
    snapshot = await ctx.store.presence.leave(key, stale.id)
  }
  ctx.presenceKeeper.track(key, joined.ref, entry)
  announcePresence(ctx, joined.ref, snapshot)
  return snapshot
}

export async function leavePresence(ctx: ServerContext, socketId: string, ref: RecordRef): Promise<void> {
  const key = recordKey(ref.resourceId, ref.recordId)
  ctx.presenceKeeper.untrack(key, socketId)
  announcePresence(ctx, ref, await ctx.store.presence.leave(key, socketId))
}

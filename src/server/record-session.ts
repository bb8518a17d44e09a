/**
 * The record session: a socket being on a record. It owns `record:join`, `record:leave` and the
 * socket's disconnect, the socket's joined map and aliases, the record's rooms, and presence. The
 * per-record features (the lock today) hook into joining and leaving through `RecordFeature`; chat
 * and attention only ask which records the socket joined (`joinedRecord`). Adding a per-record
 * feature is then one protocol entry, one handler module and one hook.
 *
 * A record is keyed by its id as the resource returns it, whatever spelling the client sent
 * (`01`, ` 1`, `1.0` are all Post 1). One socket is joined to a record once, with one token: a join
 * with another token or intent replaces the earlier one, which is left first. Every join re-reads
 * the socket's session (see SessionWatch) and asks AdminJS whether the admin may be there.
 */
import { ErrorCode, type JoinReply, type RecordRef } from '../protocol.js'
import { recordKey, recordRoom, recordUserRoom, tabRoom } from '../store/keys.js'
import { AckFailure } from './ack-failure.js'
import { findRecord, mayAccess } from './access.js'
import type { CollabSocket, JoinedRecord, ServerContext } from './context.js'
import type { EventRouter } from './event-router.js'
import { tabIdOf } from './lease-view.js'
import { enterPresence, leavePresence, presenceUsers } from './presence.js'
import { joinRequestSchema, recordRefSchema } from './validation.js'

export type JoinedAt = JoinedRecord & { key: string }

/** What a per-record feature does when a socket joins, leaves or drops a record. */
export interface RecordFeature {
  /** After the socket is in the record's rooms and presence; its answer goes into the join reply. */
  joined(socket: CollabSocket, joined: JoinedAt): Promise<Partial<Pick<JoinReply, 'lease' | 'lockRevision'>>>
  /** The socket left the record (navigated away, or replaced its join). */
  left(socket: CollabSocket, joined: JoinedAt): Promise<void>
  /** The socket is gone; `graceMs` is how long what it held may wait for the same tab to come back. */
  dropped(socket: CollabSocket, graceMs: number): void
}

/** The record this socket joined under `ref`, whichever spelling of the id it used then or now. */
export function joinedRecord(socket: CollabSocket, ref: RecordRef): JoinedAt {
  const sent = recordKey(ref.resourceId, ref.recordId)
  const key = socket.data.aliases.get(sent) ?? sent
  const joined = socket.data.joined.get(key)
  if (!joined) throw new AckFailure(ErrorCode.NotJoined, 'join the record first')
  return { ...joined, key }
}

async function leave(ctx: ServerContext, socket: CollabSocket, features: RecordFeature[], joined: JoinedAt): Promise<void> {
  socket.data.joined.delete(joined.key)
  for (const [alias, target] of socket.data.aliases) if (target === joined.key) socket.data.aliases.delete(alias)
  const { ref } = joined
  await socket.leave(recordRoom(ref.resourceId, ref.recordId))
  await socket.leave(recordUserRoom(ref.resourceId, ref.recordId, socket.data.user.id))
  await leavePresence(ctx, socket.id, ref)
  for (const feature of features) await feature.left(socket, joined)
}

export function registerRecordSession(ctx: ServerContext, router: EventRouter, features: RecordFeature[]): void {
  router.on('record:join', joinRequestSchema, async (socket, request): Promise<JoinReply> => {
    const sent = { resourceId: request.resourceId, recordId: request.recordId }
    // The record is looked up while the session is re-read; access is then asked of the admin the
    // session has now.
    const { admin: adminUser, done: found } = await ctx.sessions.verifyAlongside(socket, findRecord(ctx.admin, sent))
    await mayAccess(found, adminUser, request.intent)
    const { config, record } = found
    // The id as the resource returns it: every spelling of one record is one key.
    const ref = { resourceId: sent.resourceId, recordId: String(record.id()) }
    const key = recordKey(ref.resourceId, ref.recordId)
    const previous = socket.data.joined.get(key)
    if (previous && (previous.token !== request.tabToken || previous.intent !== request.intent)) {
      // A join with another token or intent replaces the earlier one, which gives up what it
      // held first, so nothing is left that nobody will ever give up.
      await leave(ctx, socket, features, { ...previous, key })
    } else if (!previous && socket.data.joined.size >= ctx.options.maxRecordsPerSocket) {
      throw new AckFailure(ErrorCode.TooManyRecords, `a connection may be on at most ${ctx.options.maxRecordsPerSocket} records at once`)
    }
    const joined: JoinedRecord = { ref, intent: request.intent, token: request.tabToken, tabId: tabIdOf(request.tabToken), locking: config.blockEditing, chat: config.enableChat }
    socket.data.joined.set(key, joined)
    socket.data.aliases.set(recordKey(sent.resourceId, sent.recordId), key)
    // Into the rooms first, then read state: a change made meanwhile is broadcast to this socket too.
    await socket.join([recordRoom(ref.resourceId, ref.recordId), tabRoom(socket.data.user.id, joined.tabId), recordUserRoom(ref.resourceId, ref.recordId, socket.data.user.id)])
    // Presence and the features (the lock's claim) are independent store steps: run them at once.
    const at = { ...joined, key }
    const [present, ...answers] = await Promise.all([enterPresence(ctx, socket, joined), ...features.map((feature) => feature.joined(socket, at))])
    let reply: JoinReply = {
      tabId: joined.tabId,
      user: socket.data.user,
      locking: joined.locking,
      presence: presenceUsers(present.entries),
      presenceRevision: present.revision,
      lease: null,
      lockRevision: present.revision,
    }
    for (const answer of answers) reply = { ...reply, ...answer }
    return reply
  })

  router.on('record:leave', recordRefSchema, async (socket, ref): Promise<null> => {
    await leave(ctx, socket, features, joinedRecord(socket, ref))
    return null
  })
}

/** The socket is gone (its 'disconnect'): it leaves every record it was on. */
export function dropRecordSession(ctx: ServerContext, socket: CollabSocket, features: RecordFeature[]): void {
  if (ctx.closing) return
  // The session ended (logout, expiry): the user left, so no grace for a reconnect.
  const graceMs = socket.data.ended ? 0 : ctx.options.reconnectGraceMs
  for (const joined of socket.data.joined.values()) {
    void leavePresence(ctx, socket.id, joined.ref).catch((error) => ctx.logger.warn('adminjs-collaborator: leaving presence failed', error))
  }
  for (const feature of features) feature.dropped(socket, graceMs)
  socket.data.joined.clear()
  socket.data.aliases.clear()
}

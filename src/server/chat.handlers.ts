/**
 * Chat on a record: one conversation with everyone on it, and one per pair of people there.
 * Only a socket joined to the record (which AdminJS allowed to view or edit it) reads or writes its
 * conversations. A one-to-one message is sent to the two people's rooms on that record and nowhere
 * else, and its history is only ever read as the requester's own conversation with someone, so a
 * third person can neither receive nor read it. Every refusal (empty, too long, too fast, unknown
 * recipient) happens before anything is stored or sent.
 *
 * Text is stored and sent exactly as typed: showing it as text, never as markup, is the client's job.
 */
import { randomUUID } from 'node:crypto'
import { ErrorCode, type ChatMessage, type RecordRef } from '../protocol.js'
import { conversationKey, recordRoom, recordUserRoom } from '../store/keys.js'
import { AckFailure } from './ack-failure.js'
import type { CollabSocket, JoinedRecord, ServerContext } from './context.js'
import type { EventRouter } from './event-router.js'
import { joinedRecord } from './record-session.js'
import { chatHistorySchema, chatSendSchema } from './validation.js'

/** The rate limit counts messages per user over this window, on every record together. */
const RATE_WINDOW_MS = 60_000

/** The joined record, if its resource offers chat. */
function joinedChat(socket: CollabSocket, ref: RecordRef): JoinedRecord & { key: string } {
  const joined = joinedRecord(socket, ref)
  if (!joined.chat) throw new AckFailure(ErrorCode.Forbidden, `chat is disabled on resource ${JSON.stringify(ref.resourceId)}`)
  return joined
}

/** The conversation this socket's user has with `other`, or the record's when `other` is null. */
function conversationOf(socket: CollabSocket, key: string, other: string | null): string {
  return other === null ? conversationKey(key) : conversationKey(key, [socket.data.user.id, other])
}

/** Refuses text that is blank or too long; counts characters as code points, so an emoji is one. */
function checkText(text: string, maxLength: number): void {
  if (text.trim().length === 0) throw new AckFailure(ErrorCode.MessageEmpty, 'the message is empty')
  const length = Array.from(text).length
  if (length > maxLength) throw new AckFailure(ErrorCode.MessageTooLong, `the message has ${length} characters; at most ${maxLength} are allowed`)
}

export function registerChatHandlers(ctx: ServerContext, router: EventRouter): void {
  const { options } = ctx

  router.on('chat:send', chatSendSchema, async (socket, request): Promise<ChatMessage> => {
    const joined = joinedChat(socket, { resourceId: request.resourceId, recordId: request.recordId })
    // The record as the resource names it, whatever spelling of its id the client sent.
    const { ref } = joined
    const { user } = socket.data
    checkText(request.text, options.chatMaxLength)
    if (request.to !== null) {
      // Only to someone on the record now: they passed AdminJS's check for it when they joined.
      const present = request.to !== user.id && (await ctx.store.presence.list(joined.key)).entries.some((entry) => entry.user.id === request.to)
      if (!present) throw new AckFailure(ErrorCode.NotFound, 'that person is not on this record')
    }
    const message: ChatMessage = { ...ref, id: randomUUID(), from: user, to: request.to, text: request.text, atMs: Date.now() }
    // Counted against the sender's allowance last, so a message refused for another reason does not
    // use it up; counted and stored in one step (one round trip). Stored before anyone is told:
    // whoever is told of the message finds it in the history too.
    const allowance = { key: `chat:${encodeURIComponent(user.id)}`, limit: options.chatMessagesPerMinute, windowMs: RATE_WINDOW_MS }
    const retryInMs = await ctx.store.chat.append(conversationOf(socket, joined.key, request.to), message, options.chatHistoryLimit, options.chatHistoryTtlMs, allowance)
    if (retryInMs > 0) throw new AckFailure(ErrorCode.RateLimited, `at most ${options.chatMessagesPerMinute} messages a minute`, retryInMs)
    // The sender's own tabs are told too (the sending tab also has the ack; clients dedupe by id).
    const rooms =
      request.to === null
        ? recordRoom(ref.resourceId, ref.recordId)
        : [recordUserRoom(ref.resourceId, ref.recordId, user.id), recordUserRoom(ref.resourceId, ref.recordId, request.to)]
    ctx.io.to(rooms).emit('chat:message', message)
    return message
  })

  router.on('chat:history', chatHistorySchema, async (socket, request): Promise<ChatMessage[]> => {
    const joined = joinedChat(socket, { resourceId: request.resourceId, recordId: request.recordId })
    // Always this user's own conversation: nobody can name a pair they are not part of.
    return ctx.store.chat.history(conversationOf(socket, joined.key, request.with), options.chatHistoryLimit)
  })
}

/**
 * A chat conversation's messages as the page keeps them: pure functions, no React (useChat.ts
 * holds the state). Messages merge by id, so one that arrives both live and in a history (or in
 * the sender's own acknowledgement) is kept once, in the order they were sent.
 */
import type { ChatMessage } from '../../src/protocol'

/** `null`: everyone on the record; a user id: the one-to-one conversation with that person. */
export type ConversationId = string | null

/** The conversation a message belongs to, from the point of view of `meId`. */
export function conversationOf(message: ChatMessage, meId: string): ConversationId {
  if (message.to === null) return null
  return message.from.id === meId ? message.to : message.from.id
}

/** Known and incoming messages, once each by id, oldest first (the sort is stable for equal times). */
export function mergeMessages(known: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  const byId = new Map(known.map((message) => [message.id, message]))
  for (const message of incoming) byId.set(message.id, message)
  return [...byId.values()].sort((a, b) => a.atMs - b.atMs)
}

/** The conversations with `incoming` merged into one of them; `previous` is left as it was. */
export function withMessages(
  previous: ReadonlyMap<ConversationId, readonly ChatMessage[]>,
  conversation: ConversationId,
  incoming: readonly ChatMessage[],
): Map<ConversationId, readonly ChatMessage[]> {
  const next = new Map(previous)
  next.set(conversation, mergeMessages(previous.get(conversation) ?? [], incoming))
  return next
}

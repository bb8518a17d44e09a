/**
 * Whom this user can talk to one-to-one: everyone else on the record now, then anyone they have a
 * conversation with on this page who has left since (so a message from them stays readable).
 */
import type { ChatMessage, PresenceUser, UserView } from '../../src/protocol'
import type { ConversationId } from '../hooks/chat-messages'

export interface ChatPerson {
  user: UserView
  online: boolean
}

/** Someone who left is named from their own messages; with none of theirs, by id alone. */
function userIn(messages: readonly ChatMessage[], userId: string): UserView {
  return messages.find((message) => message.from.id === userId)?.from ?? { id: userId, name: userId }
}

export function chatPeople(presence: readonly PresenceUser[], conversations: ReadonlyMap<ConversationId, readonly ChatMessage[]>, meId: string | null): ChatPerson[] {
  const people: ChatPerson[] = []
  const listed = new Set<string>(meId === null ? [] : [meId])
  for (const { user } of presence) {
    if (listed.has(user.id)) continue
    listed.add(user.id)
    people.push({ user, online: true })
  }
  for (const [conversation, messages] of conversations) {
    if (conversation === null || listed.has(conversation) || messages.length === 0) continue
    listed.add(conversation)
    people.push({ user: userIn(messages, conversation), online: false })
  }
  return people
}

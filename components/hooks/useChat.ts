/**
 * The chat of one record as this tab's user sees it: one conversation with everyone on the record
 * (keyed `null`) and one with each person (keyed by their user id).
 *
 * Rules (the server stores and delivers; this hook only asks and listens):
 * - History comes from `chat:history`: the record's conversation on every join (a reconnect may
 *   have missed messages), a person's when it is first read or when a message with them arrives.
 *   A rejoin loads again every conversation loaded before. Messages merge by id, so one that comes
 *   both live and in a history (or in the sender's own acknowledgement) is shown once.
 * - `chat:message` brings new messages live, including those this user sent from another tab.
 * - A message from someone else that arrives while its conversation is not being read (drawer
 *   closed, another conversation open, tab in the background) counts as unread until it is.
 *   History never counts: the server keeps no read state, so a reload starts from zero.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { ChatMessage, JoinReply, RecordRef, UserView } from '../../src/protocol'
import { useRecordEvent } from './useRecordEvent'
import { useCollaborationSocket } from './collaboration-context'
import { LocalErrorCode, request, type ClientError, type Reply } from './request'
import { conversationOf, withMessages, type ConversationId } from './chat-messages'

export type { ConversationId } from './chat-messages'

export interface ChatOptions extends RecordRef {
  /** The current join of this tab (null until joined and while disconnected). */
  joined: JoinReply | null
  /** The conversation on screen now; undefined while none is (drawer closed, tab in the background). */
  reading: ConversationId | undefined
}

export interface Chat {
  /** This tab's user, once joined. */
  me: UserView | null
  /** Every conversation with messages, each oldest first. */
  conversations: ReadonlyMap<ConversationId, readonly ChatMessage[]>
  /** Unread messages per conversation (absent: none). */
  unread: ReadonlyMap<ConversationId, number>
  totalUnread: number
  /** Whether a conversation's history has arrived, so "no messages yet" is true and not just early. */
  isLoaded: (conversation: ConversationId) => boolean
  /** Sends a message; a refusal comes back as the reply for the caller to show. */
  send: (to: ConversationId, text: string) => Promise<Reply<ChatMessage>>
  /** The last history that could not be loaded. */
  error: ClientError | null
  dismissError: () => void
}

export function useChat({ resourceId, recordId, joined, reading }: ChatOptions): Chat {
  const socket = useCollaborationSocket()
  const [conversations, setConversations] = useState<ReadonlyMap<ConversationId, readonly ChatMessage[]>>(() => new Map())
  const [unread, setUnread] = useState<ReadonlyMap<ConversationId, number>>(() => new Map())
  const [loaded, setLoaded] = useState<ReadonlySet<ConversationId>>(() => new Set())
  const [error, setError] = useState<ClientError | null>(null)

  const me = joined?.user ?? null
  // Listeners read these; they must see the latest render's values without being re-subscribed.
  const meIdRef = useRef<string | null>(null)
  meIdRef.current = me?.id ?? meIdRef.current
  const readingRef = useRef(reading)
  readingRef.current = reading
  /** Conversations loaded at least once: loaded again on every join. */
  const wanted = useRef(new Set<ConversationId>())
  /** History requests of the current join, so a conversation is asked for once at a time. */
  const inFlight = useRef(new Set<ConversationId>())
  /** Ids of every message shown, so a message counts as unread once at most. */
  const seen = useRef(new Set<string>())
  /** Messages that arrived before this tab knew who it is (between the join and its reply). */
  const early = useRef<ChatMessage[]>([])

  const load = useCallback(
    async (conversation: ConversationId) => {
      const flights = inFlight.current
      if (flights.has(conversation)) return
      flights.add(conversation)
      wanted.current.add(conversation)
      const reply = await request(socket, 'chat:history', { resourceId, recordId, with: conversation })
      flights.delete(conversation)
      if (!reply.ok) {
        // Not connected: the page's offline notice says so, and the next join loads again.
        if (reply.error.code !== LocalErrorCode.Disconnected) setError(reply.error)
        return
      }
      for (const message of reply.data) seen.current.add(message.id)
      setConversations((previous) => withMessages(previous, conversation, reply.data))
      setLoaded((previous) => new Set(previous).add(conversation))
    },
    [socket, resourceId, recordId],
  )

  const receive = useCallback(
    (message: ChatMessage, meId: string) => {
      const conversation = conversationOf(message, meId)
      const isNew = !seen.current.has(message.id)
      seen.current.add(message.id)
      setConversations((previous) => withMessages(previous, conversation, [message]))
      if (isNew && message.from.id !== meId && readingRef.current !== conversation) {
        setUnread((previous) => new Map(previous).set(conversation, (previous.get(conversation) ?? 0) + 1))
      }
      // A person's first message on this page: fetch what was said before it too.
      if (!wanted.current.has(conversation)) void load(conversation)
    },
    [load],
  )

  useRecordEvent('chat:message', { resourceId, recordId }, (message: ChatMessage) => {
    const meId = meIdRef.current
    if (meId === null) early.current.push(message)
    else receive(message, meId)
  })

  // Every join: the record's conversation and every one read before, then what arrived meanwhile.
  useEffect(() => {
    if (!joined) return
    inFlight.current = new Set()
    for (const conversation of new Set<ConversationId>([null, ...wanted.current])) void load(conversation)
    for (const message of early.current.splice(0)) receive(message, joined.user.id)
  }, [joined, load, receive])

  // Reading a conversation reads its unread messages, and loads it the first time.
  useEffect(() => {
    if (reading === undefined) return
    setUnread((previous) => {
      if (!previous.get(reading)) return previous
      const next = new Map(previous)
      next.delete(reading)
      return next
    })
    if (joined && !wanted.current.has(reading)) void load(reading)
  }, [reading, joined, load])

  const send = useCallback(
    async (to: ConversationId, text: string): Promise<Reply<ChatMessage>> => {
      const reply = await request(socket, 'chat:send', { resourceId, recordId, to, text })
      if (reply.ok) receive(reply.data, reply.data.from.id)
      return reply
    },
    [socket, resourceId, recordId, receive],
  )

  const isLoaded = useCallback((conversation: ConversationId) => loaded.has(conversation), [loaded])
  const dismissError = useCallback(() => setError(null), [])
  let totalUnread = 0
  for (const count of unread.values()) totalUnread += count
  return { me, conversations, unread, totalUnread, isLoaded, send, error, dismissError }
}

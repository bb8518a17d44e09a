/**
 * One conversation, oldest message first: who wrote it (avatar and name), when, and what, as
 * plain text with its line breaks. It follows new messages down unless the user scrolled up to
 * read older ones.
 */
import React, { useLayoutEffect, useRef } from 'react'
import { Box, Icon, Text } from '@adminjs/design-system'
import type { ChatMessage } from '../../src/protocol'
import { UserAvatar } from '../PresenceBar'
import { useText } from '../hooks/useTexts'

export interface MessageListProps {
  messages: readonly ChatMessage[]
  /** False until the conversation's history arrived: then an empty list means no messages yet. */
  loaded: boolean
  meId: string | null
}

/** Closer than this to the bottom counts as reading the newest messages. */
const STICK_TO_BOTTOM_PX = 48

const listStyle = { listStyle: 'none', margin: 0, padding: 0 } as const
const bodyStyle = { whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' } as const

const MessageItem: React.FC<{ message: ChatMessage; mine: boolean }> = ({ message, mine }) => {
  const { time, dateTime } = useText()
  const at = new Date(message.atMs)
  // The time of day for today's messages; an older one says its day too.
  const today = new Date().toDateString() === at.toDateString()
  return (
    <Box as="li" data-testid="collaborator-chat-message" data-from={message.from.id} data-mine={mine ? 'true' : 'false'} flex flexDirection="row" mb="lg">
      <UserAvatar user={message.from} sizePx={28} />
      <Box ml="default" flexGrow={1} style={{ minWidth: 0 }}>
        <Box flex flexDirection="row" alignItems="baseline" flexWrap="wrap">
          <Text as="span" fontWeight="bold" mr="default">
            {message.from.name}
          </Text>
          <Text as="time" fontSize="sm" color="grey80" dateTime={at.toISOString()} title={dateTime(message.atMs)}>
            {today ? time(message.atMs) : dateTime(message.atMs)}
          </Text>
        </Box>
        <Box data-testid="collaborator-chat-text" mt="xs" p="default" bg={mine ? 'primary20' : 'grey20'} style={{ ...bodyStyle, borderRadius: '8px' }}>
          {message.text}
        </Box>
      </Box>
    </Box>
  )
}

const MessageList: React.FC<MessageListProps> = ({ messages, loaded, meId }) => {
  const { text } = useText()
  const scrollRef = useRef<HTMLDivElement>(null)
  // A conversation opens at its newest message (the drawer mounts one list per conversation).
  const atBottom = useRef(true)

  const onScroll = () => {
    const element = scrollRef.current
    if (element) atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < STICK_TO_BOTTOM_PX
  }

  // Before paint, so the list never shows a frame scrolled to the wrong place.
  useLayoutEffect(() => {
    const element = scrollRef.current
    if (element && atBottom.current) element.scrollTop = element.scrollHeight
  }, [messages])

  return (
    <Box ref={scrollRef} onScroll={onScroll} flexGrow={1} style={{ overflowY: 'auto', minHeight: '120px' }} aria-live="polite">
      {messages.length === 0 ? (
        <Text data-testid="collaborator-chat-start" color="grey80" textAlign="center" mt="xl">
          {loaded ? text('chatStartConversationText') : <Icon icon="Loader" spin />}
        </Text>
      ) : (
        <ol data-testid="collaborator-chat-messages" style={listStyle}>
          {messages.map((message) => (
            <MessageItem key={message.id} message={message} mine={message.from.id === meId} />
          ))}
        </ol>
      )}
    </Box>
  )
}

export default MessageList

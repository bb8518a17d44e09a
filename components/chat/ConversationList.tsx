/**
 * The conversations the user can open: everyone on the record first, then who is online here
 * (or a line saying nobody else is), then people who have left but wrote earlier. Each carries
 * its unread count.
 */
import React from 'react'
import { Badge, Box, Button, Icon, Text } from '@adminjs/design-system'
import { UserAvatar } from '../PresenceBar'
import type { ConversationId } from '../hooks/useChat'
import { useText } from '../hooks/useTexts'
import type { ChatPerson } from './chat-people'

export interface ConversationListProps {
  people: readonly ChatPerson[]
  selected: ConversationId
  unread: ReadonlyMap<ConversationId, number>
  onSelect: (conversation: ConversationId) => void
}

const AVATAR_PX = 28

const listStyle = { listStyle: 'none', margin: 0, padding: 0 } as const
// The design system's button is inline-block; a row keeps avatar, name and count side by side.
const itemButtonStyle = { display: 'flex', alignItems: 'center', width: '100%', textAlign: 'left', height: 'auto' } as const

interface ItemProps {
  conversation: ConversationId
  selected: boolean
  unread: number
  onSelect: (conversation: ConversationId) => void
  avatar: React.ReactNode
  name: string
  status?: string
}

const ConversationItem: React.FC<ItemProps> = ({ conversation, selected, unread, onSelect, avatar, name, status }) => (
  <li>
    <Button
      data-testid="collaborator-chat-conversation"
      data-with={conversation ?? ''}
      type="button"
      variant={selected ? 'contained' : 'text'}
      size="sm"
      mb="sm"
      aria-current={selected ? 'true' : undefined}
      onClick={() => onSelect(conversation)}
      style={itemButtonStyle}
    >
      {avatar}
      <Box flexGrow={1} ml="default" style={{ minWidth: 0 }}>
        <Text as="span" fontWeight="bold" style={{ display: 'block', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
          {name}
        </Text>
        {status ? (
          <Text as="span" fontSize="sm" style={{ display: 'block' }}>
            {status}
          </Text>
        ) : null}
      </Box>
      {unread > 0 ? (
        <Badge data-testid="collaborator-chat-conversation-unread" variant="danger" size="sm" ml="default">
          {String(unread)}
        </Badge>
      ) : null}
    </Button>
  </li>
)

const everyoneAvatar = (
  <Box
    flex
    alignItems="center"
    justifyContent="center"
    bg="grey60"
    color="white"
    style={{ width: AVATAR_PX, height: AVATAR_PX, borderRadius: '50%', flexShrink: 0 }}
    aria-hidden="true"
  >
    <Icon icon="Users" color="white" />
  </Box>
)

const ConversationList: React.FC<ConversationListProps> = ({ people, selected, unread, onSelect }) => {
  const { text } = useText()
  const online = people.filter((person) => person.online)
  const gone = people.filter((person) => !person.online)
  const item = ({ user, online: isOnline }: ChatPerson) => (
    <ConversationItem
      key={user.id}
      conversation={user.id}
      selected={selected === user.id}
      unread={unread.get(user.id) ?? 0}
      onSelect={onSelect}
      avatar={<UserAvatar user={user} sizePx={AVATAR_PX} />}
      name={user.name}
      status={isOnline ? text('chatOnlineStatusText') : undefined}
    />
  )
  return (
    <Box as="nav" data-testid="collaborator-chat-conversations" aria-label={text('chatButtonText')} mb="lg">
      <ul style={listStyle}>
        <ConversationItem
          conversation={null}
          selected={selected === null}
          unread={unread.get(null) ?? 0}
          onSelect={onSelect}
          avatar={everyoneAvatar}
          name={text('chatEveryoneText')}
        />
      </ul>
      <Text as="h4" fontWeight="bold" fontSize="sm" mt="lg" mb="default" style={{ textTransform: 'uppercase' }}>
        {text('chatUserListTitle')}
      </Text>
      {online.length === 0 ? (
        <Text data-testid="collaborator-chat-nobody" fontSize="sm" mb="default">
          {text('chatEmptyStateText')}
        </Text>
      ) : null}
      <ul style={listStyle}>{[...online, ...gone].map(item)}</ul>
    </Box>
  )
}

export default ConversationList

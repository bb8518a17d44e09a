/**
 * The chat, in the design system's side drawer: the conversations to choose from, the open one,
 * and the input. Escape or the close button closes it.
 */
import React, { forwardRef, type KeyboardEvent } from 'react'
import { Box, Button, Drawer, DrawerContent, DrawerFooter, H3, H4, Icon, MessageBox } from '@adminjs/design-system'
import type { ChatMessage } from '../../src/protocol'
import type { ConversationId } from '../hooks/useChat'
import type { ChatComposer as ChatComposerState } from '../hooks/useChatComposer'
import type { ClientError } from '../hooks/request'
import { useText } from '../hooks/useTexts'
import type { ChatPerson } from './chat-people'
import ChatComposer from './ChatComposer'
import ConversationList from './ConversationList'
import MessageList from './MessageList'

export interface ChatDrawerProps {
  id: string
  people: readonly ChatPerson[]
  selected: ConversationId
  onSelect: (conversation: ConversationId) => void
  messages: readonly ChatMessage[]
  loaded: boolean
  unread: ReadonlyMap<ConversationId, number>
  meId: string | null
  composer: ChatComposerState
  /** A history that could not be loaded. */
  error: ClientError | null
  onDismissError: () => void
  onClose: () => void
}

const ChatDrawer = forwardRef<HTMLTextAreaElement, ChatDrawerProps>((props, inputRef) => {
  const { id, people, selected, onSelect, messages, loaded, unread, meId, composer, error, onDismissError, onClose } = props
  const { text, errorText } = useText()
  const title = selected === null ? text('chatEveryoneText') : (people.find(({ user }) => user.id === selected)?.user.name ?? selected)

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return
    event.stopPropagation()
    onClose()
  }

  return (
    <Drawer id={id} data-testid="collaborator-chat-drawer" role="dialog" aria-label={text('chatButtonText')} onKeyDown={onKeyDown}>
      <DrawerContent style={{ display: 'flex', flexDirection: 'column', overflow: 'hidden' }}>
        <H3 flex alignItems="center" mb="lg">
          <Button
            data-testid="collaborator-chat-close"
            type="button"
            size="icon"
            rounded
            mr="lg"
            aria-label={text('chatButtonText')}
            aria-expanded
            aria-controls={id}
            onClick={onClose}
          >
            <Icon icon="ChevronRight" />
          </Button>
          {text('chatButtonText')}
        </H3>
        <ConversationList people={people} selected={selected} unread={unread} onSelect={onSelect} />
        <H4 data-testid="collaborator-chat-title" mb="default">
          {title}
        </H4>
        {error ? (
          <Box data-testid="collaborator-chat-error" data-code={error.code} role="alert" mb="default">
            <MessageBox size="sm" variant="danger" message={errorText(error)} onCloseClick={onDismissError} />
          </Box>
        ) : null}
        {/* One list per conversation, so each opens scrolled to its newest message. */}
        <MessageList key={selected ?? ''} messages={messages} loaded={loaded} meId={meId} />
      </DrawerContent>
      <DrawerFooter>
        <ChatComposer ref={inputRef} composer={composer} />
      </DrawerFooter>
    </Drawer>
  )
})
ChatDrawer.displayName = 'ChatDrawer'

export default ChatDrawer

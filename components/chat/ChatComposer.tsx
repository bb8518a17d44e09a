/**
 * The message input: Enter sends, Shift+Enter starts a new line (and Enter while an input method
 * is composing a character is left to it). A refusal shows above the input, which keeps the text.
 */
import React, { forwardRef, type FormEvent, type KeyboardEvent } from 'react'
import { Box, Button, Icon, MessageBox, TextArea } from '@adminjs/design-system'
import type { ChatComposer as ChatComposerState } from '../hooks/useChatComposer'
import { useText } from '../hooks/useTexts'

export interface ChatComposerProps {
  composer: ChatComposerState
}

const ChatComposer = forwardRef<HTMLTextAreaElement, ChatComposerProps>(({ composer }, ref) => {
  const { value, change, submit, sending, error, dismissError } = composer
  const { text } = useText()

  const onSubmit = (event: FormEvent) => {
    event.preventDefault()
    submit()
  }
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return
    event.preventDefault()
    submit()
  }

  return (
    <Box flexShrink={0} width="100%">
      {error ? (
        // Outside the form: the message box's close button would otherwise submit it.
        <Box data-testid="collaborator-chat-error" data-code={error.code} role="alert" mb="default">
          <MessageBox size="sm" variant="danger" message={error.message} onCloseClick={dismissError} />
        </Box>
      ) : null}
      <Box as="form" onSubmit={onSubmit} flex flexDirection="row" alignItems="flex-end">
        <TextArea
          ref={ref}
          data-testid="collaborator-chat-input"
          aria-label={text('chatInputPlaceholder')}
          placeholder={text('chatInputPlaceholder')}
          value={value}
          onChange={(event: React.ChangeEvent<HTMLTextAreaElement>) => change(event.target.value)}
          onKeyDown={onKeyDown}
          rows={3}
          style={{ flex: 1, resize: 'vertical', minWidth: 0 }}
        />
        <Button data-testid="collaborator-chat-send" type="submit" variant="contained" ml="default" disabled={sending}>
          {sending ? <Icon icon="Loader" spin /> : <Icon icon="Send" />}
          {text('chatSendButtonText')}
        </Button>
      </Box>
    </Box>
  )
})
ChatComposer.displayName = 'ChatComposer'

export default ChatComposer

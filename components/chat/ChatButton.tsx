/** Opens and closes the chat drawer; while it is closed, a badge counts the unread messages. */
import React, { forwardRef } from 'react'
import { Badge, Button, Icon } from '@adminjs/design-system'
import type { TextOf } from '../hooks/useTexts'

export interface ChatButtonProps {
  open: boolean
  unread: number
  /** The id of the drawer it controls. */
  drawerId: string
  onToggle: () => void
  text: TextOf
}

const ChatButton = forwardRef<HTMLButtonElement, ChatButtonProps>(({ open, unread, drawerId, onToggle, text }, ref) => (
  <Button
    ref={ref}
    data-testid="collaborator-chat-button"
    type="button"
    variant={open ? 'contained' : 'outlined'}
    size="sm"
    ml="default"
    aria-expanded={open}
    aria-controls={drawerId}
    onClick={onToggle}
  >
    <Icon icon="MessageCircle" />
    {text('chatButtonText')}
    {!open && unread > 0 ? (
      <Badge data-testid="collaborator-chat-unread" variant="danger" size="sm" ml="sm" aria-live="polite">
        {String(unread)}
      </Badge>
    ) : null}
  </Button>
))
ChatButton.displayName = 'ChatButton'

export default ChatButton

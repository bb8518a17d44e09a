/**
 * Opens and closes the chat drawer; while it is closed, a badge counts the unread messages. The
 * badge is only seen: the button's accessible name says it in words ("Chat, 1 unread", not "Chat1").
 */
import React, { forwardRef } from 'react'
import { Badge, Button, Icon } from '@adminjs/design-system'
import { useText } from '../hooks/useTexts'

export interface ChatButtonProps {
  open: boolean
  unread: number
  /** The id of the drawer it controls. */
  drawerId: string
  onToggle: () => void
}

const ChatButton = forwardRef<HTMLButtonElement, ChatButtonProps>(({ open, unread, drawerId, onToggle }, ref) => {
  const { text } = useText()
  const showUnread = !open && unread > 0
  const label = text('chatButtonText')
  return (
    <Button
      ref={ref}
      data-testid="collaborator-chat-button"
      type="button"
      variant={open ? 'contained' : 'outlined'}
      size="sm"
      ml="default"
      aria-label={showUnread ? `${label}, ${text('chatUnreadText', { count: String(unread) })}` : label}
      aria-expanded={open}
      aria-controls={drawerId}
      onClick={onToggle}
    >
      <Icon icon="MessageCircle" aria-hidden="true" />
      {label}
      {showUnread ? (
        <Badge data-testid="collaborator-chat-unread" variant="danger" size="sm" ml="sm" aria-hidden="true">
          {String(unread)}
        </Badge>
      ) : null}
    </Button>
  )
})
ChatButton.displayName = 'ChatButton'

export default ChatButton

/**
 * The chat of a record page: a button (next to the presence avatars) that opens a drawer with a
 * conversation with everyone on the record and one with each person there. While the tab is in
 * the background its title counts the unread messages.
 * Mounted by CollaboratorEdit and CollaboratorShow inside their CollaborationProvider, only when
 * the feature's `enableChat` is on.
 */
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { JoinReply, PresenceUser, RecordRef } from '../../src/protocol'
import { useChat, type ConversationId } from '../hooks/useChat'
import { useChatComposer } from '../hooks/useChatComposer'
import { usePageHidden } from '../hooks/usePageHidden'
import { useUnreadTitle } from '../hooks/useUnreadTitle'
import ChatButton from './ChatButton'
import ChatDrawer from './ChatDrawer'
import { chatPeople } from './chat-people'

export interface CollaboratorChatProps extends RecordRef {
  joined: JoinReply | null
  presence: readonly PresenceUser[]
  /** The server's longest accepted message (`chatMaxLength`). */
  maxLength: number
}

const NO_MESSAGES: readonly never[] = []

const CollaboratorChat: React.FC<CollaboratorChatProps> = ({ resourceId, recordId, joined, presence, maxLength }) => {
  const [open, setOpen] = useState(false)
  const [selected, setSelected] = useState<ConversationId>(null)
  const hidden = usePageHidden()
  const chat = useChat({ resourceId, recordId, joined, reading: open && !hidden ? selected : undefined })
  useUnreadTitle(chat.totalUnread)
  const composer = useChatComposer({ conversation: selected, send: chat.send, maxLength })
  const meId = chat.me?.id ?? null
  const people = useMemo(() => chatPeople(presence, chat.conversations, meId), [presence, chat.conversations, meId])

  const buttonRef = useRef<HTMLButtonElement>(null)
  const inputRef = useRef<HTMLTextAreaElement>(null)
  const drawerId = `collaborator-chat-${resourceId}-${recordId}`.replace(/[^\w-]/g, '_')

  const close = useCallback(() => {
    setOpen(false)
    buttonRef.current?.focus()
  }, [])

  // A person who left without a word exchanged is no longer listed: back to everyone, rather than
  // an input whose every message would be refused. (While offline the list is unknown, so it waits.)
  const selectedGone = selected !== null && joined !== null && !people.some(({ user }) => user.id === selected)
  useEffect(() => {
    if (selectedGone) setSelected(null)
  }, [selectedGone])

  // Opening the drawer or another conversation puts the cursor where the user will type.
  useEffect(() => {
    if (open) inputRef.current?.focus()
  }, [open, selected])

  return (
    <>
      <ChatButton ref={buttonRef} open={open} unread={chat.totalUnread} drawerId={drawerId} onToggle={() => (open ? close() : setOpen(true))} />
      {open ? (
        <ChatDrawer
          ref={inputRef}
          id={drawerId}
          people={people}
          selected={selected}
          onSelect={setSelected}
          messages={chat.conversations.get(selected) ?? NO_MESSAGES}
          loaded={chat.isLoaded(selected)}
          unread={chat.unread}
          meId={meId}
          composer={composer}
          error={chat.error}
          onDismissError={chat.dismissError}
          onClose={close}
        />
      ) : null}
    </>
  )
}

export default CollaboratorChat

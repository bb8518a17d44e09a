/**
 * Who is on the record: one avatar per person (however many tabs they have open), the lock holder
 * ringed as editing. Names show on hover and are read out by screen readers; the ring is a shape,
 * not only a colour, so it reads without colour vision too.
 */
import React, { type ReactNode } from 'react'
import { Avatar, Box } from '@adminjs/design-system'
import type { PresenceUser, UserView } from '../src/protocol'
import { useText } from './hooks/useTexts'
import { colourOf, cssImageUrl, initialsOf } from './hooks/avatar'

export interface PresenceBarProps {
  users: PresenceUser[]
  /** The user holding the lock, if anyone does. */
  editorUserId: string | null
  /** Shown at the end of the row, after the avatars (the chat button). */
  children?: ReactNode
}

function uniqueByUser(users: PresenceUser[]): PresenceUser[] {
  const seen = new Set<string>()
  return users.filter(({ user }) => !seen.has(user.id) && seen.add(user.id))
}

/** A person's picture, or their initials on their own colour; decorative, so name them next to it. */
export const UserAvatar: React.FC<{ user: UserView; sizePx?: number }> = ({ user, sizePx = 36 }) => (
  // Initials underneath: they show while the image loads, or when it cannot.
  <Avatar
    src={cssImageUrl(user.avatarUrl)}
    aria-hidden="true"
    style={{ backgroundColor: colourOf(user.id), fontSize: `${Math.round(sizePx * 0.39)}px`, fontWeight: 600, width: `${sizePx}px`, height: `${sizePx}px` }}
  >
    {initialsOf(user.name)}
  </Avatar>
)

const PresenceAvatar: React.FC<{ user: UserView; editing: boolean; label: string }> = ({ user, editing, label }) => (
  <Box
    data-testid="collaborator-avatar"
    data-user-id={user.id}
    data-editing={editing ? 'true' : 'false'}
    role="img"
    aria-label={label}
    title={label}
    mr="sm"
    p="2px"
    border="2px solid"
    borderColor={editing ? 'success' : 'transparent'}
    style={{ borderRadius: '50%' }}
  >
    <UserAvatar user={user} />
  </Box>
)

const PresenceBar: React.FC<PresenceBarProps> = ({ users, editorUserId, children }) => {
  const { text } = useText()
  return (
    <Box data-testid="collaborator-presence" flex flexDirection="row" flexWrap="wrap" alignItems="center" justifyContent="flex-end" mb={users.length > 0 || children ? 'lg' : 0}>
      {uniqueByUser(users).map(({ user }) => {
        const editing = user.id === editorUserId
        const label = `${user.name} (${text(editing ? 'presenceEditingText' : 'presenceViewingText')})`
        return <PresenceAvatar key={user.id} user={user} editing={editing} label={label} />
      })}
      {children}
    </Box>
  )
}

export default PresenceBar

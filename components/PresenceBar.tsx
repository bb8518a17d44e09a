/**
 * Who is on the record: one avatar per person (however many tabs they have open), the lock holder
 * ringed as editing. Names show on hover and are read out by screen readers; the ring is a shape,
 * not only a colour, so it reads without colour vision too. Each person's state is in their label
 * (editing or viewing; the editor's idle time and unsaved input too), and the editor's is also
 * written out beside the avatars: "Alice Martin: idle for 3 min · unsaved changes".
 */
import React, { useEffect, useState, type ReactNode } from 'react'
import { Avatar, Box, Text } from '@adminjs/design-system'
import { HOLDER_IDLE_SHOWN_MS, type PresenceUser, type UserView } from '../src/protocol'
import { useText } from './hooks/useTexts'
import { colourOf, cssImageUrl, initialsOf } from './hooks/avatar'
import { durationText } from './hooks/duration'
import type { HolderActivity } from './hooks/useHolderActivity'

export interface PresenceBarProps {
  users: PresenceUser[]
  /** The user holding the lock, if anyone does. */
  editorUserId: string | null
  /** The holder's last activity and unsaved input, when known (see useHolderActivity). */
  editorActivity?: HolderActivity | null
  /** Shown at the end of the row, after the avatars (the chat button). */
  children?: ReactNode
}

/** How often "idle for" is counted on: the shown unit is seconds under two minutes, then minutes. */
const IDLE_TICK_MS = 5000

/** Re-renders every `everyMs` while `on`, so a duration shown keeps counting. */
function useTicks(on: boolean, everyMs: number): void {
  const [, setTick] = useState(0)
  useEffect(() => {
    if (!on) return undefined
    const timer = setInterval(() => setTick((tick) => tick + 1), everyMs)
    return () => clearInterval(timer)
  }, [on, everyMs])
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

const PresenceBar: React.FC<PresenceBarProps> = ({ users, editorUserId, editorActivity = null, children }) => {
  const { text } = useText()
  const people = uniqueByUser(users)
  const editor = people.find(({ user }) => user.id === editorUserId)
  useTicks(editor !== undefined && editorActivity !== null, IDLE_TICK_MS)
  const idleMs = editorActivity ? Date.now() - editorActivity.activeAtMs : 0
  // The editor's state beyond "editing": said only when there is something to say.
  const editorState = [
    ...(editor && editorActivity && idleMs >= HOLDER_IDLE_SHOWN_MS ? [text('presenceIdleText', { duration: durationText(idleMs, text) })] : []),
    ...(editor && editorActivity?.unsaved ? [text('presenceUnsavedText')] : []),
  ]
  return (
    <Box data-testid="collaborator-presence" flex flexDirection="row" flexWrap="wrap" alignItems="center" justifyContent="flex-end" mb={users.length > 0 || children ? 'lg' : 0}>
      {editor && editorState.length > 0 ? (
        <Text
          data-testid="collaborator-editor-state"
          data-idle={idleMs >= HOLDER_IDLE_SHOWN_MS ? 'true' : 'false'}
          data-unsaved={editorActivity?.unsaved ? 'true' : 'false'}
          mr="default"
          variant="sm"
          color="grey80"
        >
          {`${editor.user.name}: ${editorState.join(' · ')}`}
        </Text>
      ) : null}
      {people.map(({ user }) => {
        const editing = user.id === editorUserId
        const state = [text(editing ? 'presenceEditingText' : 'presenceViewingText'), ...(editing ? editorState : [])]
        return <PresenceAvatar key={user.id} user={user} editing={editing} label={`${user.name} (${state.join(', ')})`} />
      })}
      {children}
    </Box>
  )
}

export default PresenceBar

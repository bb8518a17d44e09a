/**
 * What everyone but the editor sees over the form: who edits and since when, and in the same user's
 * other tab a button to move the editing here (and, for other users, whatever the page adds as
 * children: the attention request). The message sticks to the top while the form
 * scrolls under it, and is a polite live region, so a screen reader announces who edits. The form
 * under it is read-only (see useReadOnlyForm); the cover only tints it.
 */
import React, { type ReactNode } from 'react'
import { Box, Button, MessageBox, Text } from '@adminjs/design-system'
import type { LeaseView } from '../src/protocol'
import type { LockRole } from './hooks/useEditLock'
import { useText, type PageTexts } from './hooks/useTexts'

export interface LockOverlayProps {
  role: LockRole
  /** The server refused this page for good (see useConnection's refusal). @default false */
  refused?: boolean
  lease: LeaseView | null
  onTakeOver: () => void
  /** Shown under the message, above the cover, so it stays clickable while the form is not. */
  children?: ReactNode
  /** Said instead of the role's own headline (the record's line: whose turn it is). */
  headline?: string | null
}

function since(lease: LeaseView, { text, time }: PageTexts): string {
  return text('editorSinceText', { time: time(lease.sinceMs) })
}

function headline(role: LockRole, lease: LeaseView | null, { text }: PageTexts, refused: boolean): string | null {
  switch (role) {
    case 'viewer':
      return lease ? text('viewerModeText', { editorName: lease.user.name }) : null
    case 'other-tab':
      return text('otherTabText')
    case 'claiming':
      return text('claimingEditorText')
    case 'offline':
      // Refused for good (session ended, address not allowed): the notice above says why;
      // "reconnecting" would be untrue.
      return refused ? null : text('offlineText')
    default:
      return null
  }
}

const LockOverlay: React.FC<LockOverlayProps> = ({ role, lease, onTakeOver, refused = false, children, headline: given = null }) => {
  const texts = useText()
  const { text } = texts
  const message = given ?? headline(role, lease, texts, refused)
  // The live region exists before its message does: a region that appears with its text already
  // in it is not announced by every screen reader.
  if (message === null) return <Box role="status" aria-live="polite" />
  const showHolder = (role === 'viewer' || role === 'other-tab') && lease
  return (
    <Box data-testid="collaborator-overlay" data-role={role} role="status" aria-live="polite" position="sticky" top={0} zIndex={11} mb="lg">
      <MessageBox data-testid={role === 'offline' ? 'collaborator-offline' : undefined} variant={role === 'offline' ? 'warning' : 'info'} message={message}>
        {showHolder ? <Text>{since(lease, texts)}</Text> : null}
        {role === 'other-tab' ? (
          <Button data-testid="collaborator-takeover" type="button" variant="contained" size="sm" mt="default" onClick={onTakeOver}>
            {text('takeOverButtonText')}
          </Button>
        ) : null}
        {children}
      </MessageBox>
    </Box>
  )
}

/**
 * Tints the locked form. It lets the mouse through, so text can be selected with it; what the mouse
 * would change is stopped by useReadOnlyForm.
 */
export const LockCover: React.FC = () => (
  <Box
    data-testid="collaborator-cover"
    aria-hidden="true"
    position="absolute"
    top={0}
    right={0}
    bottom={0}
    left={0}
    zIndex={10}
    style={{ background: 'rgba(128, 128, 128, 0.08)', pointerEvents: 'none' }}
  />
)

export default LockOverlay

/** The slim messages above the form: editor mode, offline while still editing, and errors. */
import React from 'react'
import { Box, Link, MessageBox } from '@adminjs/design-system'
import { ErrorCode } from '../src/protocol'
import { adminLoginPath } from './hooks/socket-client'
import type { LockRole } from './hooks/useEditLock'
import type { ClientError } from './hooks/request'
import { useText } from './hooks/useTexts'

export interface LockNoticesProps {
  role: LockRole
  /** True when the form stays usable; an offline editor keeps typing and is warned here. */
  canEdit: boolean
  errors: ReadonlyArray<{ error: ClientError; dismiss: () => void }>
  /** False on pages that never edit (show), where "editor mode" would mislead. @default true */
  editorBanner?: boolean
}

/** A refusal the page cannot recover from by reconnecting: the session ended, or the address is not allowed. */
export function isRefusal(error: ClientError | null | undefined): boolean {
  return error?.code === ErrorCode.Unauthenticated || error?.code === ErrorCode.BadOrigin
}

/**
 * The page's own words for every error (by its code; the server's English message is for logs).
 * A session that ended offers the login page (in a new tab, so this page and its draft stay).
 */
const ErrorNotice: React.FC<{ error: ClientError; dismiss: () => void }> = ({ error, dismiss }) => {
  const { text, errorText } = useText()
  if (error.code === ErrorCode.Unauthenticated) {
    return (
      <MessageBox size="sm" variant="danger" message={text('sessionEndedText')} onCloseClick={dismiss} role="alert">
        <Link href={adminLoginPath()} target="_blank" rel="noopener" data-testid="collaborator-login-link">
          {text('loginLinkText')}
        </Link>
      </MessageBox>
    )
  }
  if (error.code === ErrorCode.BadOrigin) return <MessageBox size="sm" variant="danger" message={text('originRefusedText')} onCloseClick={dismiss} role="alert" />
  return <MessageBox size="sm" variant="danger" message={errorText(error)} onCloseClick={dismiss} />
}

const LockNotices: React.FC<LockNoticesProps> = ({ role, canEdit, errors, editorBanner = true }) => {
  const { text } = useText()
  return (
    <>
      {role === 'editor' && editorBanner ? (
        <Box data-testid="collaborator-banner" mb="lg">
          <MessageBox size="sm" variant="success" message={text('editorModeText')} />
        </Box>
      ) : null}
      {role === 'offline' && canEdit && !errors.some(({ error }) => isRefusal(error)) ? (
        <Box data-testid="collaborator-offline" mb="lg">
          <MessageBox size="sm" variant="warning" message={text('offlineText')} />
        </Box>
      ) : null}
      {errors.map(({ error, dismiss }) => (
        <Box key={`${error.code}:${error.message}`} data-testid="collaborator-error" data-code={error.code} mb="lg">
          <ErrorNotice error={error} dismiss={dismiss} />
        </Box>
      ))}
    </>
  )
}

export default LockNotices

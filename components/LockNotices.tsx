/** The slim messages above the form: editor mode, offline while still editing, and errors. */
import React from 'react'
import { Box, MessageBox } from '@adminjs/design-system'
import type { LockRole } from './hooks/useEditLock'
import type { ClientError } from './hooks/request'
import type { TextOf } from './hooks/useTexts'

export interface LockNoticesProps {
  role: LockRole
  /** True when the form stays usable; an offline editor keeps typing and is warned here. */
  canEdit: boolean
  errors: ReadonlyArray<{ error: ClientError; dismiss: () => void }>
  text: TextOf
  /** False on pages that never edit (show), where "editor mode" would mislead. @default true */
  editorBanner?: boolean
}

const LockNotices: React.FC<LockNoticesProps> = ({ role, canEdit, errors, text, editorBanner = true }) => (
  <>
    {role === 'editor' && editorBanner ? (
      <Box data-testid="collaborator-banner" mb="lg">
        <MessageBox size="sm" variant="success" message={text('editorModeText')} />
      </Box>
    ) : null}
    {role === 'offline' && canEdit ? (
      <Box data-testid="collaborator-offline" mb="lg">
        <MessageBox size="sm" variant="warning" message={text('offlineText')} />
      </Box>
    ) : null}
    {errors.map(({ error, dismiss }) => (
      <Box key={`${error.code}:${error.message}`} data-testid="collaborator-error" data-code={error.code} mb="lg">
        <MessageBox size="sm" variant="danger" message={error.message} onCloseClick={dismiss} />
      </Box>
    ))}
  </>
)

export default LockNotices

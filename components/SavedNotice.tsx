/** Says who saved the version the page shows now, after a live update replaced what was there. */
import React from 'react'
import { Box, MessageBox } from '@adminjs/design-system'
import type { UserView } from '../src/protocol'
import type { TextOf } from './hooks/useTexts'

export interface SavedNoticeProps {
  by: UserView
  onDismiss: () => void
  text: TextOf
}

const SavedNotice: React.FC<SavedNoticeProps> = ({ by, onDismiss, text }) => (
  <Box data-testid="collaborator-saved-notice" data-user-id={by.id} role="status" mb="lg">
    <MessageBox size="sm" variant="info" icon="RefreshCw" message={text('savedByText', { editorName: by.name })} onCloseClick={onDismiss} />
  </Box>
)

export default SavedNotice

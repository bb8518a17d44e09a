/** Says who saved the version the page shows now, after a live update replaced what was there. */
import React from 'react'
import { Box, MessageBox } from '@adminjs/design-system'
import type { UserView } from '../src/protocol'
import { useText } from './hooks/useTexts'

export interface SavedNoticeProps {
  by: UserView
  onDismiss: () => void
}

const SavedNotice: React.FC<SavedNoticeProps> = ({ by, onDismiss }) => {
  const { text } = useText()
  return (
    <Box data-testid="collaborator-saved-notice" data-user-id={by.id} role="status" mb="lg">
      <MessageBox size="sm" variant="info" icon="RefreshCw" message={text('savedByText', { editorName: by.name })} onCloseClick={onDismiss} />
    </Box>
  )
}

export default SavedNotice

/** Offers the user's unsaved changes back, once this tab may edit again. */
import React from 'react'
import { Box, Button, MessageBox } from '@adminjs/design-system'
import type { Draft } from './hooks/draft-storage'
import { useText } from './hooks/useTexts'

export interface DraftNoticeProps {
  draft: Draft
  onRestore: () => void
  onDiscard: () => void
}

const DraftNotice: React.FC<DraftNoticeProps> = ({ draft, onRestore, onDiscard }) => {
  const { text, dateTime } = useText()
  return (
    <Box data-testid="collaborator-draft" mb="lg">
      <MessageBox size="sm" variant="info" icon="Save" message={text('draftRestoreText', { time: dateTime(draft.savedAtMs) })}>
        <Box flex flexDirection="row" alignItems="center" mt="default">
          <Button data-testid="collaborator-draft-restore" type="button" variant="contained" size="sm" mr="default" onClick={onRestore}>
            {text('draftRestoreButtonText')}
          </Button>
          <Button data-testid="collaborator-draft-discard" type="button" variant="text" size="sm" onClick={onDiscard}>
            {text('draftDiscardButtonText')}
          </Button>
        </Box>
      </MessageBox>
    </Box>
  )
}

export default DraftNotice

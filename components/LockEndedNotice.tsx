/** Says who ended this tab's lock from the locks page, and offers to edit again. */
import React from 'react'
import { Box, Button, MessageBox } from '@adminjs/design-system'
import type { LockEndedEvent } from '../src/protocol'
import { useText } from './hooks/useTexts'

const LockEndedNotice: React.FC<{ ended: LockEndedEvent; onEditAgain: () => void }> = ({ ended, onEditAgain }) => {
  const { text } = useText()
  return (
    <Box data-testid="collaborator-lock-ended" data-by={ended.by.id} role="alert" mb="lg">
      <MessageBox size="sm" variant="warning" icon="Unlock" message={text('lockEndedText', { username: ended.by.name })}>
        <Box mt="default">
          <Button data-testid="collaborator-edit-again" type="button" size="sm" variant="contained" onClick={onEditAgain}>
            {text('lockEndedEditAgainText')}
          </Button>
        </Box>
      </MessageBox>
    </Box>
  )
}

export default LockEndedNotice

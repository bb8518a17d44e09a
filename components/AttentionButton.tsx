/**
 * A viewer's button to ask the editor to finish, with what happened to the last request: sent,
 * and how long until another one is accepted (the button stays disabled until then).
 */
import React from 'react'
import { Box, Button, Text } from '@adminjs/design-system'
import type { AttentionRequest } from './hooks/useAttentionRequest'
import { useText } from './hooks/useTexts'

export interface AttentionButtonProps {
  attention: AttentionRequest
}

const AttentionButton: React.FC<AttentionButtonProps> = ({ attention }) => {
  const { text } = useText()
  const { ask, sending, sent, secondsLeft } = attention
  const waiting = secondsLeft > 0
  const status = [sent ? text('notificationRequestSentText') : null, waiting ? text('notificationRetryText', { seconds: String(secondsLeft) }) : null]
    .filter((part): part is string => part !== null)
    .join(' ')
  return (
    <Box flex flexDirection="row" flexWrap="wrap" alignItems="center" mt="default">
      <Button data-testid="collaborator-attention-button" type="button" variant="outlined" size="sm" mr="default" disabled={sending || waiting} onClick={ask}>
        {text('notificationButtonText')}
      </Button>
      {status ? (
        <Text data-testid="collaborator-attention-status" as="span" role="status" aria-live="polite">
          {status}
        </Text>
      ) : null}
    </Box>
  )
}

export default AttentionButton

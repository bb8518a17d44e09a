/**
 * A waiting editor's place in the record's line, under the overlay: "Notify me when free" to join,
 * then "You are 2nd in line for this record." with a button to leave. (While the record is free
 * and another's turn runs, the overlay's headline says whose turn it is: see `queueHeadline`.)
 */
import React from 'react'
import { Box, Button, Text } from '@adminjs/design-system'
import type { Queue } from './hooks/useQueue'
import { useText } from './hooks/useTexts'

export interface QueueControlsProps {
  queue: Queue
  /** The record is held by someone else (not free, not this user's other tab): joining makes sense. */
  canJoin: boolean
}

const QueueControls: React.FC<QueueControlsProps> = ({ queue, canJoin }) => {
  const { text, ordinal } = useText()
  const { position, entries, busy, join, leave } = queue
  return (
    <Box data-testid="collaborator-queue" data-position={position ?? ''} data-length={entries.length} flex flexDirection="row" flexWrap="wrap" alignItems="center" mt="default">
      {position !== null ? (
        <>
          <Text data-testid="collaborator-queue-position" as="span" mr="default">
            {text('queuePositionText', { position: ordinal(position) })}
          </Text>
          <Button data-testid="collaborator-queue-leave" type="button" variant="text" size="sm" disabled={busy} onClick={leave}>
            {text('queueLeaveButtonText')}
          </Button>
        </>
      ) : (
        <>
          {canJoin ? (
            <Button data-testid="collaborator-queue-join" type="button" variant="outlined" size="sm" mr="default" disabled={busy} onClick={join}>
              {text('queueJoinButtonText')}
            </Button>
          ) : null}
        </>
      )}
    </Box>
  )
}

/** The overlay's headline while the record is free but another tab's turn runs; null otherwise. */
export function queueHeadline(queue: Queue, role: string, text: ReturnType<typeof useText>['text']): string | null {
  const first = queue.entries[0]
  if (role !== 'claiming' || !first || queue.position === 1) return null
  return text('queueFirstText', { username: first.user.name })
}

export default QueueControls

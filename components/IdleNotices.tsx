/**
 * Idle release and take-over by policy on the edit page (#13): the idle warning with "Keep
 * editing", what happened when the server took the lock from this tab (with "Edit again"), and
 * for a viewer of another user's lock, "Take over" when the server's policy allows it, or why not.
 */
import React, { useEffect, useState } from 'react'
import { Box, Button, MessageBox, Text } from '@adminjs/design-system'
import type { EditLock } from './hooks/useEditLock'
import type { IdleControl, TakeOverPolicy } from './hooks/useIdle'
import { useText } from './hooks/useTexts'

/** Re-renders every second while `on`, for a countdown. */
function useSecondTicks(on: boolean): void {
  const [, setTick] = useState(0)
  useEffect(() => {
    if (!on) return undefined
    const timer = setInterval(() => setTick((tick) => tick + 1), 1000)
    return () => clearInterval(timer)
  }, [on])
}

export interface IdleNoticesProps {
  idle: IdleControl
  lost: EditLock['lost']
  /** "Edit again": claims the lock. Absent while someone else holds it (the overlay says who). */
  onEditAgain?: () => void
}

const IdleNotices: React.FC<IdleNoticesProps> = ({ idle, lost, onEditAgain }) => {
  const { text } = useText()
  useSecondTicks(idle.warning !== null)
  return (
    <>
      {idle.warning ? (
        <Box data-testid="collaborator-idle-warning" mb="lg" role="alert">
          <MessageBox size="sm" variant="warning" message={text('idleWarningText', { seconds: String(Math.max(0, Math.ceil((idle.warning.releaseAtMs - Date.now()) / 1000))) })}>
            <Button data-testid="collaborator-keep-editing" type="button" variant="contained" size="sm" mt="default" onClick={idle.keepEditing}>
              {text('keepEditingButtonText')}
            </Button>
          </MessageBox>
        </Box>
      ) : null}
      {lost ? (
        <Box data-testid="collaborator-lock-lost" data-kind={lost.kind} mb="lg" role="status" aria-live="polite">
          <MessageBox size="sm" variant="info" message={lost.kind === 'idle' || !lost.by ? text('idleReleasedText') : text('takenOverText', { editorName: lost.by.name })}>
            {onEditAgain ? (
              <Button data-testid="collaborator-edit-again" type="button" variant="outlined" size="sm" mt="default" onClick={onEditAgain}>
                {text('editAgainButtonText')}
              </Button>
            ) : null}
          </MessageBox>
        </Box>
      ) : null}
    </>
  )
}

export interface TakeOverControlProps {
  policy: TakeOverPolicy
  editorName: string
  onTakeOver: () => void
}

/** Under the viewer's overlay: "Take over" when allowed, else the policy's reason or the holder's last activity. */
export const TakeOverControl: React.FC<TakeOverControlProps> = ({ policy, editorName, onTakeOver }) => {
  const { text } = useText()
  const { answer } = policy
  useSecondTicks(answer !== null && !answer.allowed && !answer.reason)
  if (!answer || answer.idleMs === null) return null
  if (answer.allowed) {
    return (
      <Button
        data-testid="collaborator-takeover-other"
        type="button"
        variant="contained"
        size="sm"
        mt="default"
        onClick={() => {
          onTakeOver()
          // Refused after all (the holder came back): the next answer says so.
          setTimeout(policy.refresh, 1000)
        }}
      >
        {text('takeOverOtherButtonText')}
      </Button>
    )
  }
  const seconds = Math.floor((answer.idleMs + Date.now() - answer.receivedAtMs) / 1000)
  return (
    <Text data-testid="collaborator-takeover-refused" mt="default">
      {answer.reason ?? text('takeOverWaitText', { editorName, seconds: String(seconds) })}
    </Text>
  )
}

export default IdleNotices

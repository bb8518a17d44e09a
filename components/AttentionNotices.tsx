/**
 * What the editor sees when viewers ask for the record: one notice per asking tab, each with a
 * button to hand the lock over to that tab and one to dismiss it.
 */
import React from 'react'
import { Box, Button, Icon, MessageBox } from '@adminjs/design-system'
import { useTranslation } from 'adminjs'
import type { AttentionInbox } from './hooks/useAttentionInbox'
import { useText } from './hooks/useTexts'

export interface AttentionNoticesProps {
  inbox: AttentionInbox
}

const AttentionNotices: React.FC<AttentionNoticesProps> = ({ inbox }) => {
  const { translateButton } = useTranslation()
  const { text } = useText()
  const { requests, handOver, dismiss, handingOverTo } = inbox
  return (
    <>
      {requests.map(({ from, fromTabId }) => (
        <Box key={fromTabId} data-testid="collaborator-attention-notice" data-user-id={from.id} role="alert" mb="lg">
          <MessageBox size="sm" variant="warning" icon="Bell" message={text('notificationMessage', { username: from.name })}>
            <Box flex flexDirection="row" alignItems="center" mt="default">
              <Button
                data-testid="collaborator-handover"
                type="button"
                variant="contained"
                size="sm"
                mr="default"
                disabled={handingOverTo !== null}
                onClick={() => handOver(fromTabId)}
              >
                {handingOverTo === fromTabId ? <Icon icon="Loader" spin /> : null}
                {text('handOverButtonText', { username: from.name })}
              </Button>
              <Button data-testid="collaborator-attention-dismiss" type="button" variant="text" size="sm" onClick={() => dismiss(fromTabId)}>
                {translateButton('cancel')}
              </Button>
            </Box>
          </MessageBox>
        </Box>
      ))}
    </>
  )
}

export default AttentionNotices

/**
 * Says who saved the version the page shows now, after a live update replaced what was there, and
 * which fields they changed ("Bob Chen changed Title and Status"), as AdminJS labels the fields.
 */
import React from 'react'
import { Box, MessageBox } from '@adminjs/design-system'
import { useTranslation } from 'adminjs'
import type { UserView } from '../src/protocol'
import { fieldList } from './hooks/field-names'
import { useText } from './hooks/useTexts'

export interface SavedNoticeProps {
  by: UserView
  /** The params the save changed (record:saved's `fields`); none: only who saved is said. */
  fields?: readonly string[]
  /** The resource whose property labels name the fields. */
  resourceId?: string
  onDismiss: () => void
}

const SavedNotice: React.FC<SavedNoticeProps> = ({ by, fields = [], resourceId, onDismiss }) => {
  const { text } = useText()
  const { translateProperty } = useTranslation()
  const names = fieldList(fields, (property) => translateProperty(property, resourceId), text)
  const message = names ? text('savedFieldsText', { editorName: by.name, fields: names }) : text('savedByText', { editorName: by.name })
  return (
    <Box data-testid="collaborator-saved-notice" data-user-id={by.id} data-fields={fields.join(' ')} role="status" mb="lg">
      <MessageBox size="sm" variant="info" icon="RefreshCw" message={message} onCloseClick={onDismiss} />
    </Box>
  )
}

export default SavedNotice

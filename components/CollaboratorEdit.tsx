/**
 * The edit action of a resource with collaboration: AdminJS's own edit form, wrapped.
 * The tab holding the record's lock edits as usual under a slim banner; everyone else sees the
 * same form, unreachable (inert and disabled), under an overlay naming the editor.
 * Registered by the feature as the `edit` action component under the name 'CollaboratorEdit'.
 */
import React, { useMemo, type FormEvent } from 'react'
import { Edit, type ActionProps, type RecordJSON } from 'adminjs'
import { Box, MessageBox } from '@adminjs/design-system'
import { COMPONENT_CONFIG_KEY, type CollaboratorActionCustom, type ComponentConfig } from '../src/component-config'
import CollaborationProvider from './CollaborationProvider'
import LockNotices from './LockNotices'
import LockOverlay, { LockCover } from './LockOverlay'
import { useEditLock } from './hooks/useEditLock'
import { useInert } from './hooks/useInert'
import { useRecordRefresh } from './hooks/useRecordRefresh'
import { useTexts } from './hooks/useTexts'
import { useTabToken } from './hooks/useTabToken'
import { TAB_TOKEN_PARAM } from '../src/protocol'

function configOf(props: ActionProps): ComponentConfig | undefined {
  return (props.action.custom as Partial<CollaboratorActionCustom> | undefined)?.[COMPONENT_CONFIG_KEY]
}

type LockedEditProps = ActionProps & { record: RecordJSON; config: ComponentConfig }

/** Fieldset without its own box: it only lends `disabled` to every control of the form inside. */
const fieldsetStyle = { display: 'contents', border: 0, margin: 0, padding: 0, minWidth: 0 } as const
/** Keeps AdminJS's layout when the form sits in a drawer (a flex column down to the footer). */
const columnStyle = { display: 'flex', flexDirection: 'column', flexGrow: 1 } as const

const LockedEdit: React.FC<LockedEditProps> = ({ config, ...props }) => {
  const resourceId = props.resource.id
  const recordId = String(props.record.id)
  const lock = useEditLock({ resourceId, recordId, intent: 'edit', blockEditing: config.blockEditing })
  const refresh = useRecordRefresh(props.record, resourceId, recordId, lock.gainedAfterWaiting)
  const text = useTexts(config.texts, resourceId)
  const locked = !lock.canEdit
  // The save carries this tab's token so the server refuses it from the user's other tabs too.
  const tabToken = useTabToken()
  const record = useMemo(
    () => (refresh.record && config.blockEditing ? { ...refresh.record, params: { ...refresh.record.params, [TAB_TOKEN_PARAM]: tabToken } } : refresh.record),
    [refresh.record, config.blockEditing, tabToken],
  )
  const formRef = useInert<HTMLDivElement>(locked)

  // Belt and braces next to `inert` and `disabled`: a locked form never submits.
  const refuseSubmit = (event: FormEvent) => {
    if (!locked) return
    event.preventDefault()
    event.stopPropagation()
  }

  const errors = [
    ...(lock.error ? [{ error: lock.error, dismiss: lock.dismissError }] : []),
    ...(refresh.error ? [{ error: refresh.error, dismiss: refresh.dismissError }] : []),
  ]

  return (
    <Box data-testid="collaborator-status" data-role={lock.role} flex flexDirection="column" flexGrow={1}>
      <LockNotices role={lock.role} canEdit={lock.canEdit} errors={errors} text={text} />
      {locked ? <LockOverlay role={lock.role} lease={lock.lease} text={text} onTakeOver={lock.takeOver} /> : null}
      <Box position="relative" flex flexDirection="column" flexGrow={1}>
        <div ref={formRef} style={columnStyle} aria-disabled={locked} onSubmitCapture={refuseSubmit}>
          <fieldset disabled={locked} style={fieldsetStyle}>
            <Edit {...props} record={record} />
          </fieldset>
        </div>
        {locked ? <LockCover /> : null}
      </Box>
    </Box>
  )
}

const CollaboratorEdit: React.FC<ActionProps> = (props) => {
  const config = configOf(props)
  const { record } = props
  if (!config || !record) {
    // A wiring mistake, not a user's: say so and fall back to the plain form.
    return (
      <>
        <Box data-testid="collaborator-error" data-code="not_configured" mb="lg">
          <MessageBox size="sm" variant="danger" message="adminjs-collaborator: this edit action has no collaboration config (action.custom.collaborator) or no record." />
        </Box>
        <Edit {...props} />
      </>
    )
  }
  return (
    <CollaborationProvider socketPath={config.socketPath}>
      <LockedEdit {...props} record={record} config={config} />
    </CollaborationProvider>
  )
}

export default CollaboratorEdit

/**
 * AdminJS 7.8's edit form (frontend/components/actions/edit.js), copied so that its state lives in
 * the collaborator page (see useEditForm) instead of inside AdminJS's Edit: the page must read what
 * the user typed and put fresher records into the form. The markup, data-css names and the
 * `button-save` test id are AdminJS's own, so themes, overrides and tests that target them still
 * apply.
 */
import React from 'react'
import { ActionHeader, BasePropertyComponent, LayoutElementRenderer, useTranslation, type ActionProps } from 'adminjs'
import { Box, Button, DrawerContent, DrawerFooter, Icon } from '@adminjs/design-system'
import type { EditForm as EditFormState } from './hooks/useEditForm'

export type EditFormProps = ActionProps & { form: EditFormState }

/** AdminJS's getActionElementCss, which the browser global does not export. */
function actionCss(resourceId: string, actionName: string, suffix: string): string {
  return `${resourceId}-${actionName}-${suffix}`
}

const EditForm: React.FC<EditFormProps> = ({ form, ...props }) => {
  const { resource, action } = props
  const { record, formRef, formKey, handleChange, loading, submit } = form
  const { translateButton } = useTranslation()

  return (
    <Box as="form" key={formKey} ref={formRef} onSubmit={submit} flex flexDirection="column" data-css={actionCss(resource.id, action.name, 'form')}>
      <DrawerContent data-css={actionCss(resource.id, action.name, 'drawer-content')}>
        {action?.showInDrawer ? <ActionHeader {...props} /> : null}
        {action.layout
          ? action.layout.map((layoutElement, i) => (
              // The layout has no ids; its order is fixed for the life of the page.
              <LayoutElementRenderer key={i} layoutElement={layoutElement} {...props} where="edit" onChange={handleChange} record={record} />
            ))
          : resource.editProperties.map((property) => (
              <BasePropertyComponent key={property.propertyPath} where="edit" onChange={handleChange} property={property} resource={resource} record={record} />
            ))}
      </DrawerContent>
      <DrawerFooter data-css={actionCss(resource.id, action.name, 'drawer-footer')}>
        <Button variant="contained" type="submit" data-css={actionCss(resource.id, action.name, 'drawer-submit')} data-testid="button-save" disabled={loading}>
          {loading ? <Icon icon="Loader" spin /> : null}
          {translateButton('save', resource.id)}
        </Button>
      </DrawerFooter>
    </Box>
  )
}

export default EditForm

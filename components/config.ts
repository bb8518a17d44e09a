/** The feature's settings for a collaborator page, read from `action.custom` where the feature put them. */
import type { ActionProps } from 'adminjs'
import { COMPONENT_CONFIG_KEY, type CollaboratorActionCustom, type ComponentConfig } from '../src/component-config'

export function configOf(props: ActionProps): ComponentConfig | undefined {
  return (props.action.custom as Partial<CollaboratorActionCustom> | undefined)?.[COMPONENT_CONFIG_KEY]
}

/**
 * AdminJS's top-bar user box (`LoggedIn`, overridden by the feature) with the change feed's bell
 * before it, so the feed is on every page. AdminJS hands the original component in; it is rendered
 * as it was. The feed's settings come from the first resource that uses the feature with
 * `changeFeed` on (every resource's action settings are in AdminJS's page state); without one,
 * there is no bell.
 */
import React from 'react'
import { Box } from '@adminjs/design-system'
import { COMPONENT_CONFIG_KEY, type ComponentConfig } from '../src/component-config'
import ChangeFeed from './ChangeFeed'
import CollaborationProvider from './CollaborationProvider'
import { TextsProvider } from './hooks/useTexts'

interface ResourceState {
  id: string
  actions?: Array<{ name: string; custom?: Record<string, unknown> }>
}

interface AdminJSWindow {
  REDUX_STATE?: { resources?: ResourceState[] }
}

/** The feature's settings and the resource they came from, for the feed's socket and texts. */
function feedConfig(): { resourceId: string; config: ComponentConfig } | null {
  for (const resource of (window as Window & AdminJSWindow).REDUX_STATE?.resources ?? []) {
    const config = resource.actions?.find((action) => action.name === 'edit')?.custom?.[COMPONENT_CONFIG_KEY] as ComponentConfig | undefined
    if (config?.changeFeed) return { resourceId: resource.id, config }
  }
  return null
}

type LoggedInProps = Record<string, unknown> & { OriginalComponent?: React.ComponentType<Record<string, unknown>> }

const CollaboratorLoggedIn: React.FC<LoggedInProps> = ({ OriginalComponent, ...props }) => {
  const found = feedConfig()
  return (
    <Box flex flexDirection="row" alignItems="center" flexShrink={0}>
      {found ? (
        <TextsProvider texts={found.config.texts} resourceId={found.resourceId}>
          <CollaborationProvider socketPath={found.config.socketPath}>
            <ChangeFeed />
          </CollaborationProvider>
        </TextsProvider>
      ) : null}
      {OriginalComponent ? <OriginalComponent {...props} /> : null}
    </Box>
  )
}

export default CollaboratorLoggedIn

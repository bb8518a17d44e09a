/**
 * The AdminJS feature: swaps the edit page for the collaborative wrapper, hands it its settings
 * through `action.custom`, and guards edit, delete and bulk delete on the server. No IO of its own:
 * it talks to the lock store through the interface it is given.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { mergeResourceOptions, type ComponentLoader, type FeatureType, type ResourceOptions } from 'adminjs'
import { COMPONENT_CONFIG_KEY, type ComponentConfig } from './component-config.js'
import type { AdminUser, ResolvedFeatureOptions, ResolvedOptions } from './options.js'
import type { UserView } from './protocol.js'
import { createSaveGuard } from './save-guard.js'
import type { LockStore } from './store/store.js'

/** Component names are prefixed so they cannot collide with another feature's. */
export const COMPONENTS = {
  edit: { name: 'CollaboratorEdit', file: 'CollaboratorEdit.tsx' },
} as const

/**
 * The components folder sits at the package root: two levels up from src/feature.ts when run
 * from sources, three from dist/src/feature.js when built.
 */
function componentsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'components')
    if (existsSync(path.join(candidate, COMPONENTS.edit.file))) return candidate
    dir = path.dirname(dir)
  }
  throw new Error('adminjs-collaborator: cannot find its components folder')
}

function registerComponents(loader: ComponentLoader): { edit: string } {
  const dir = componentsDir()
  // add() throws on a second registration with a different path, and is a no-op for the same one,
  // so several resources with the feature share one bundled component.
  return { edit: loader.add(COMPONENTS.edit.name, path.join(dir, COMPONENTS.edit.file)) }
}

export interface FeatureDeps {
  options: ResolvedOptions
  feature: ResolvedFeatureOptions
  locks: () => LockStore
  identify: (admin: AdminUser) => UserView
}

export function buildCollaborationFeature(deps: FeatureDeps): FeatureType {
  const config: ComponentConfig = {
    socketPath: deps.options.socketPath,
    texts: deps.feature.texts,
    blockEditing: deps.feature.blockEditing,
    enableChat: deps.feature.enableChat,
    notificationRequestInterval: deps.options.notificationRequestInterval,
  }
  const guard = createSaveGuard({ locks: deps.locks, identify: deps.identify, texts: deps.feature.texts })

  return (admin, previous: ResourceOptions = {}) => {
    const components = registerComponents(admin.componentLoader)
    const guards = deps.feature.blockEditing
    const ours: ResourceOptions = {
      actions: {
        edit: {
          component: components.edit,
          // Keep whatever custom data the resource already gave its edit action.
          custom: { ...(previous.actions?.edit?.custom ?? {}), [COMPONENT_CONFIG_KEY]: config },
          ...(guards ? { before: [guard.edit] } : {}),
        },
        ...(guards ? { delete: { before: [guard.remove] }, bulkDelete: { before: [guard.bulkRemove] } } : {}),
      },
    }
    return mergeResourceOptions(previous, ours)
  }
}

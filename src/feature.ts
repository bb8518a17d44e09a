/**
 * The AdminJS feature: swaps the edit and show pages for the collaborative wrappers, hands them
 * their settings through `action.custom`, guards edit, delete and bulk delete on the server, and
 * announces saves. No IO of its own: it talks to the store interfaces and callbacks it is given.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { mergeResourceOptions, type ComponentLoader, type FeatureType, type ResourceOptions } from 'adminjs'
import { COMPONENT_CONFIG_KEY, type ComponentConfig } from './component-config.js'
import type { AdminUser, ResolvedFeatureOptions, ResolvedOptions } from './options.js'
import type { UserView } from './protocol.js'
import { createSaveAnnouncer, type SaveAnnouncerDeps } from './save-announcer.js'
import { createSaveGuard } from './save-guard.js'
import type { LockStore, SaveLog } from './store/store.js'

/** Component names are prefixed so they cannot collide with another feature's. */
export const COMPONENTS = {
  edit: { name: 'CollaboratorEdit', file: 'CollaboratorEdit.tsx' },
  show: { name: 'CollaboratorShow', file: 'CollaboratorShow.tsx' },
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

function registerComponents(loader: ComponentLoader): Record<keyof typeof COMPONENTS, string> {
  const dir = componentsDir()
  // add() throws on a second registration with a different path, and is a no-op for the same one,
  // so several resources with the feature share one bundled component.
  return {
    edit: loader.add(COMPONENTS.edit.name, path.join(dir, COMPONENTS.edit.file)),
    show: loader.add(COMPONENTS.show.name, path.join(dir, COMPONENTS.show.file)),
  }
}

export interface FeatureDeps {
  options: ResolvedOptions
  feature: ResolvedFeatureOptions
  locks: () => LockStore
  saves: () => SaveLog
  identify: (admin: AdminUser) => UserView
  onSaved: SaveAnnouncerDeps['onSaved']
  logger: SaveAnnouncerDeps['logger']
}

export function buildCollaborationFeature(deps: FeatureDeps): FeatureType {
  const config: ComponentConfig = {
    socketPath: deps.options.socketPath,
    texts: deps.feature.texts,
    blockEditing: deps.feature.blockEditing,
    // A resource cannot offer chat when the server has no chat handlers at all.
    enableChat: deps.feature.enableChat && deps.options.enableChat,
    chatMaxLength: deps.options.chatMaxLength,
    notificationRequestInterval: deps.options.notificationRequestInterval,
  }
  const guard = createSaveGuard({ locks: deps.locks, saves: deps.saves, identify: deps.identify, texts: deps.feature.texts, blockEditing: deps.feature.blockEditing })
  const announcer = createSaveAnnouncer({ identify: deps.identify, onSaved: deps.onSaved, logger: deps.logger })

  return (admin, previous: ResourceOptions = {}) => {
    const components = registerComponents(admin.componentLoader)
    const lockGuards = deps.feature.blockEditing
    const ours: ResourceOptions = {
      actions: {
        edit: {
          component: components.edit,
          // Keep whatever custom data the resource already gave its edit action.
          custom: { ...(previous.actions?.edit?.custom ?? {}), [COMPONENT_CONFIG_KEY]: config },
          // The edit guard also refuses stale saves, so it stays without locking.
          before: [guard.edit],
          after: [announcer.edit],
        },
        show: {
          component: components.show,
          custom: { ...(previous.actions?.show?.custom ?? {}), [COMPONENT_CONFIG_KEY]: config },
        },
        ...(lockGuards ? { delete: { before: [guard.remove] }, bulkDelete: { before: [guard.bulkRemove] } } : {}),
      },
    }
    return mergeResourceOptions(previous, ours)
  }
}

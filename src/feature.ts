/**
 * The AdminJS feature: swaps the edit and show pages for the collaborative wrappers, hands them
 * their settings through `action.custom`, guards every write of the resource's records at the
 * write itself (write-guard.ts), stamps records with their version, and announces saves. No IO of
 * its own: it talks to the store interfaces and callbacks it is given.
 *
 * Where the guard is installed. AdminJS calls a feature with the AdminJS instance and the options
 * of the features before it, never with the resource, and merges the resource's own options (its
 * custom actions) only afterwards. So the feature marks its resource with a `before` hook of its
 * own (a function made per feature call), and `install` finds the resources carrying that mark in
 * `admin.resources` once the AdminJS constructor has returned (a microtask queued by the feature
 * call, which runs before any request can be served; `attach()` runs it again): it wraps their
 * `create`, `update` and `delete`, and puts the request-noting hook first on every one of their
 * actions, custom ones included.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import AdminJS, { mergeResourceOptions, type ActionRequest, type Before, type BaseResource, type ComponentLoader, type FeatureType, type ResourceOptions } from 'adminjs'
import { keepComponentsBundleServable } from './bundle-path.js'
import { COMPONENT_CONFIG_KEY, LIST_PRESENCE_PROPERTY, type ComponentConfig } from './component-config.js'
import { configErrors } from './errors.js'
import type { AdminUser, ResolvedFeatureOptions, ResolvedOptions } from './options.js'
import type { UserView } from './protocol.js'
import { createSaveAnnouncer, type SaveAnnouncerDeps } from './save-announcer.js'
import { createBulkDeleteGuard } from './bulk-delete-guard.js'
import type { ChangeRecord, LockStore, SaveLog, WriteSections } from './store/store.js'
import { createWriteGuard } from './write-guard.js'
import { noteRequestIntent } from './write-intent.js'
import { registerTextsAsTranslations } from './translations.js'
import { answerRefusalsWithKeys } from './refusal.js'
import type { Audit } from './audit.js'

/** Component names are prefixed so they cannot collide with another feature's. */
export const COMPONENTS = {
  edit: { name: 'CollaboratorEdit', file: 'CollaboratorEdit.tsx' },
  show: { name: 'CollaboratorShow', file: 'CollaboratorShow.tsx' },
  /** The locks page (`collaboration.locksPage()`): registered with the others, so it is bundled. */
  locks: { name: 'CollaboratorLocksPage', file: 'LocksPage.tsx' },
  /** AdminJS's top-bar user box, with the change feed's bell before it (on every page). */
  loggedIn: { name: 'LoggedIn', file: 'CollaboratorLoggedIn.tsx' },
  /** The live list (#14), and its column's cells. */
  list: { name: 'CollaboratorList', file: 'CollaboratorList.tsx' },
  listCell: { name: 'CollaboratorListCell', file: 'CollaboratorListCell.tsx' },
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

/**
 * The top bar's user box gets the change feed's bell, unless the app overrides that box itself:
 * theirs stays (a warning says how to keep the bell), since only one override of it can win.
 */
function overrideLoggedIn(loader: ComponentLoader, dir: string, warn: (message: string) => void): void {
  const file = path.join(dir, COMPONENTS.loggedIn.file)
  const current = loader.getComponents()[COMPONENTS.loggedIn.name]
  // The loader keeps paths without their extension.
  if (current === undefined || current === file.replace(/\.tsx$/, '')) {
    loader.override(COMPONENTS.loggedIn.name, file)
    return
  }
  warn(
    `adminjs-collaborator: the app overrides AdminJS's LoggedIn component, so the change feed's bell is not in the top bar; ` +
      `render ${file} from yours (it takes the same props plus OriginalComponent) to keep it.`,
  )
}

function registerComponents(loader: ComponentLoader, warn: (message: string) => void): Record<Exclude<keyof typeof COMPONENTS, 'loggedIn'>, string> {
  const dir = componentsDir()
  overrideLoggedIn(loader, dir, warn)
  // add() throws on a second registration with a different path, and is a no-op for the same one,
  // so several resources with the feature share one bundled component.
  return {
    edit: loader.add(COMPONENTS.edit.name, path.join(dir, COMPONENTS.edit.file)),
    show: loader.add(COMPONENTS.show.name, path.join(dir, COMPONENTS.show.file)),
    locks: loader.add(COMPONENTS.locks.name, path.join(dir, COMPONENTS.locks.file)),
    list: loader.add(COMPONENTS.list.name, path.join(dir, COMPONENTS.list.file)),
    listCell: loader.add(COMPONENTS.listCell.name, path.join(dir, COMPONENTS.listCell.file)),
  }
}

/**
 * The live list's column, once AdminJS has merged the resource's own options over the feature's
 * (features are applied to empty options first): first in a `listProperties` the resource names,
 * and gone when the resource's list is another component (nothing would fill its cells).
 */
function placeListColumn(resource: BaseResource): void {
  const decorated = resource.decorate() as ReturnType<BaseResource['decorate']> & { properties: Record<string, unknown> }
  if (!(LIST_PRESENCE_PROPERTY in decorated.properties)) return
  const { options } = decorated
  if (options.actions?.list?.component !== COMPONENTS.list.name) {
    delete decorated.properties[LIST_PRESENCE_PROPERTY]
    if (options.listProperties) options.listProperties = options.listProperties.filter((name) => name !== LIST_PRESENCE_PROPERTY)
    return
  }
  if (options.listProperties?.length && !options.listProperties.includes(LIST_PRESENCE_PROPERTY)) options.listProperties = [LIST_PRESENCE_PROPERTY, ...options.listProperties]
}

/**
 * The live list: its component and the column of who is here. A resource's own list component,
 * merged over these by AdminJS, wins; `placeListColumn` then takes the column away.
 */
function liveListOptions(previous: ResourceOptions, components: Record<'list' | 'listCell', string>, config: ComponentConfig): ResourceOptions {
  return {
    actions: { list: { component: components.list, custom: { ...(previous.actions?.list?.custom ?? {}), [COMPONENT_CONFIG_KEY]: config } } },
    properties: {
      [LIST_PRESENCE_PROPERTY]: {
        isVisible: { list: true, show: false, edit: false, filter: false },
        isSortable: false,
        position: -1,
        components: { list: components.listCell },
      },
    },
  }
}

export interface FeatureDeps {
  options: ResolvedOptions
  feature: ResolvedFeatureOptions
  locks: () => LockStore
  saves: () => SaveLog
  writes: () => WriteSections
  identify: (admin: AdminUser) => UserView
  onSaved: SaveAnnouncerDeps['onSaved']
  logger: SaveAnnouncerDeps['logger']
  /** Where refused saves are reported (the audit trail); absent: nowhere. */
  audit?: Audit
  /** Where an admin's successful writes go (the change feed), for resources whose `changeFeed` is on. */
  onWritten?: (change: ChangeRecord) => void
}

export interface CollaborationFeature {
  feature: FeatureType
  /** Guards the resources of `admin` that use this feature (idempotent); see the module comment. */
  install(admin: AdminJS): void
}

type Hooks = Before | Before[] | undefined
const hookList = (before: Hooks): Before[] => (Array.isArray(before) ? before : before ? [before] : [])

/**
 * A decorated action's options, where AdminJS's ActionDecorator reads its `before` hooks at every
 * call (`this.action.before`; private in its typings, a plain field in 7.x).
 */
type ActionOptionsHolder = { action: { before?: Hooks } & Record<string, unknown> }
const optionsOf = (decorated: unknown) => decorated as ActionOptionsHolder

export function buildCollaborationFeature(deps: FeatureDeps): CollaborationFeature {
  const config: ComponentConfig = {
    socketPath: deps.options.socketPath,
    ...(deps.options.socketUrl ? { socketUrl: deps.options.socketUrl } : {}),
    texts: deps.feature.texts,
    textOverrides: deps.feature.textOverrides,
    blockEditing: deps.feature.blockEditing,
    // A resource cannot offer chat when the server has no chat handlers at all.
    enableChat: deps.feature.enableChat && deps.options.enableChat,
    chatMaxLength: deps.options.chatMaxLength,
    notificationRequestIntervalMs: deps.options.notificationRequestIntervalMs,
    changeFeed: deps.feature.changeFeed,
  }
  const writeGuard = createWriteGuard({
    writes: deps.writes,
    saves: deps.saves,
    identify: deps.identify,
    texts: deps.feature.texts,
    blockEditing: deps.feature.blockEditing,
    requireVersion: deps.feature.requireVersion,
    unguardedActions: new Set(deps.feature.unguardedActions),
    logger: deps.logger,
    ...(deps.audit ? { audit: deps.audit } : {}),
    ...(deps.feature.changeFeed && deps.onWritten ? { onWritten: deps.onWritten } : {}),
  })
  const bulkDeleteGuard = createBulkDeleteGuard({ locks: deps.locks, identify: deps.identify, texts: deps.feature.texts })
  const announcer = createSaveAnnouncer({ identify: deps.identify, onSaved: deps.onSaved, logger: deps.logger })
  // This feature call's own mark (see the module comment); it also notes each request's intent.
  const note: Before = (request: ActionRequest, context) => noteRequestIntent(request, context)

  function install(admin: AdminJS): void {
    const resources = (admin as { resources?: unknown }).resources
    if (!Array.isArray(resources)) return
    for (const resource of resources as BaseResource[]) {
      const actions = resource.decorate?.()?.actions
      const holders = Object.values(actions ?? {}).map(optionsOf)
      if (!holders.some((holder) => hookList(holder.action.before).includes(note))) continue
      writeGuard.guardResource(resource)
      placeListColumn(resource)
      const resourceId = resource.decorate().id()
      for (const holder of holders) {
        // Refusals reach the page as a key and parameters, translated there (refusal.ts).
        answerRefusalsWithKeys(holder, resourceId)
        const before = hookList(holder.action.before)
        // A new object: never change options another resource might share.
        if (!before.includes(note)) holder.action = { ...holder.action, before: [note, ...before] }
      }
    }
  }

  const feature: FeatureType = (admin, previous: ResourceOptions = {}) => {
    // A second copy of adminjs (this package installed as a symlink with its own node_modules)
    // would fail later and obscurely: its ForbiddenError is not the app's, so refusals become 500s.
    if (!(admin instanceof AdminJS)) throw configErrors.otherAdminJS()
    keepComponentsBundleServable((message) => deps.logger.warn(message))
    registerTextsAsTranslations(admin)
    const components = registerComponents(admin.componentLoader, (message) => deps.logger.warn(message))
    const lockGuards = deps.feature.blockEditing
    const ours: ResourceOptions = {
      actions: {
        edit: {
          component: components.edit,
          // Keep whatever custom data the resource already gave its edit action.
          custom: { ...(previous.actions?.edit?.custom ?? {}), [COMPONENT_CONFIG_KEY]: config },
          before: [note],
          after: [announcer.edit],
        },
        show: {
          component: components.show,
          custom: { ...(previous.actions?.show?.custom ?? {}), [COMPONENT_CONFIG_KEY]: config },
          before: [note],
          after: [announcer.show],
        },
        list: { before: [note], after: [announcer.list] },
        new: { before: [note] },
        delete: { before: [note] },
        bulkDelete: { before: lockGuards ? [note, bulkDeleteGuard] : [note] },
      },
    }
    // The constructor calling this feature returns before the microtask runs: admin.resources is set then.
    queueMicrotask(() => install(admin))
    const live = deps.feature.liveList ? liveListOptions(previous, components, config) : {}
    return mergeResourceOptions(mergeResourceOptions(previous, ours), live)
  }

  return { feature, install }
}

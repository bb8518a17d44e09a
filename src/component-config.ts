/**
 * The data the feature hands to its components through `action.custom`, typed once.
 * Components import this type (and nothing else from src/ but protocol.ts).
 */
import type { CollaborationTexts } from './texts.js'

export const COMPONENT_CONFIG_KEY = 'collaborator'

/**
 * The column the feature adds to a resource's list: who edits and who views each row, and what
 * happened to it while the page was open. A property of no record (AdminJS shows options'
 * properties the resource lacks); the list page fills its cells.
 */
export const LIST_PRESENCE_PROPERTY = '__collaboratorPresence'

export interface ComponentConfig {
  /** Socket.IO path; undefined means `defaultSocketPath(rootPath)` from protocol.ts. */
  socketPath?: string
  /** A socket server apart from the admin (the `socketUrl` option): the page connects there with tokens. */
  socketUrl?: string
  /** Every text in English (the page's fallback when a language has no translation registered). */
  texts: CollaborationTexts
  /** The texts the `texts` options gave, read by translations.ts (they apply to every language). */
  textOverrides: Partial<CollaborationTexts>
  blockEditing: boolean
  enableChat: boolean
  /** Longest chat message, so the input can say so before the server refuses. */
  chatMaxLength: number
  /** Seconds between attention requests, to show when the button works again. */
  notificationRequestIntervalMs: number
  /** This resource's writes reach the change feed (the feature's `changeFeed`). */
  changeFeed: boolean
}

/** `action.custom` as the feature writes it. */
export interface CollaboratorActionCustom {
  [COMPONENT_CONFIG_KEY]: ComponentConfig
}

/** What the locks page's handler answers (`collaboration.locksPage()`), read by components/LocksPage.tsx. */
export interface LocksPageConfig {
  socketPath?: string
  /** A resource with the feature: the page's texts are looked up among its translations. */
  textsResourceId: string
  texts: CollaborationTexts
}

/**
 * The public API: the one object, its option types, the texts, the configuration error, and the
 * wire protocol's types and constants (for a custom client). Stores, handlers and guards are internal.
 */
export { Collaboration, type AttachOptions, type ListenOptions, type Listening } from './collaboration.js'
export { LISTEN_BACKLOG } from './listen-backlog.js'
export type { CollaborationOptions, FeatureOptions, RedisConnectionOptions, AdminUser } from './options.js'
export { defaultTexts, type CollaborationTexts } from './texts.js'
export { CollaboratorConfigError } from './errors.js'
export * from './protocol.js'

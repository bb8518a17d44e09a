/**
 * The one object a user creates: it owns the options and the store, builds the feature for
 * resources (before AdminJS exists) and attaches the socket server (after the HTTP server does).
 */
import type { Server as HttpServer } from 'node:http'
import type AdminJS from 'adminjs'
import type { FeatureType } from 'adminjs'
import type { SessionOptions } from 'express-session'
import { configErrors } from './errors.js'
import { buildCollaborationFeature } from './feature.js'
import { resolveFeatureOptions, resolveOptions, type CollaborationOptions, type FeatureOptions, type ResolvedOptions } from './options.js'
import type { Logger } from './server/handle.js'
import { createSocketServer, type SocketServer } from './server/socket-server.js'
import { MemoryStore } from './store/memory-store.js'
import { RedisStore } from './store/redis-store.js'
import type { Store } from './store/store.js'
import { recordKey } from './store/keys.js'
import type { RecordRef, UserView } from './protocol.js'

export interface AttachOptions {
  admin: AdminJS
  /** The same `{ cookieName, cookiePassword }` given to buildAuthenticatedRouter. */
  auth: { cookieName?: string; cookiePassword: string }
  /** The same session options given to buildAuthenticatedRouter; `store` must be one shared instance. */
  session: SessionOptions
  /** Where operational problems are reported. @default console */
  logger?: Logger
}

/** How long the last save of a record is remembered, to name its author in a stale-save notice. */
const SAVE_MEMORY_MS = 24 * 60 * 60_000

function createStore(options: ResolvedOptions): Store {
  if (options.redis === undefined) return new MemoryStore()
  return new RedisStore({ redis: options.redis as never, keyPrefix: options.redisKeyPrefix, connection: options.redisConnection })
}

export class Collaboration {
  readonly options: ResolvedOptions
  private readonly store: Store
  private socketServer: SocketServer | undefined
  private closed = false
  private logger: Logger = console

  constructor(options?: CollaborationOptions) {
    this.options = resolveOptions(options)
    this.store = createStore(this.options)
  }

  /** 'memory' (one process) or 'redis' (shared by every process using the same Redis). */
  get storeKind(): Store['kind'] {
    return this.store.kind
  }

  /** Add to a resource's `features`. Options here override texts and switches for that resource. */
  feature(featureOptions?: FeatureOptions): FeatureType {
    return buildCollaborationFeature({
      options: this.options,
      feature: resolveFeatureOptions(featureOptions, this.options),
      locks: () => this.store.locks,
      saves: () => this.store.saves,
      identify: this.options.identify,
      onSaved: (ref, by, version) => this.announceSave(ref, by, version),
      logger: this.logger,
    })
  }

  /** Remembers who saved which version (for stale-save notices) and tells everyone on the record. */
  private async announceSave(ref: RecordRef, by: UserView, version: string): Promise<void> {
    this.socketServer?.announceSave(ref, by, version)
    await this.store.saves.recordSave(recordKey(ref.resourceId, ref.recordId), { userId: by.id, userName: by.name, atMs: Date.now(), version }, SAVE_MEMORY_MS)
  }

  /** Starts the socket server on the admin's HTTP server. Call once, after `app.listen()`. */
  async attach(httpServer: HttpServer, attach: AttachOptions): Promise<SocketServer> {
    if (this.closed) throw configErrors.closed()
    if (this.socketServer) throw configErrors.attachedTwice()
    if (!attach.session?.store) throw configErrors.sessionStoreMissing()
    if (!attach.auth?.cookiePassword) throw configErrors.cookiePasswordMissing()
    if (attach.logger) this.logger = attach.logger
    this.socketServer = createSocketServer(httpServer, {
      admin: attach.admin,
      store: this.store,
      options: this.options,
      auth: { session: attach.session, cookieName: attach.auth.cookieName, cookiePassword: attach.auth.cookiePassword },
      logger: this.logger,
    })
    return this.socketServer
  }

  /** Stops the socket server and the store's connections. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.socketServer?.close()
    await this.store.close()
  }
}

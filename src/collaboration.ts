/**
 * The one object a user creates: it owns the options and the store, builds the feature for
 * resources (before AdminJS exists) and attaches the socket server (after the HTTP server does).
 */
import type { Server as HttpServer } from 'node:http'
import type AdminJS from 'adminjs'
import type { FeatureType } from 'adminjs'
import type { SessionOptions } from 'express-session'
import { createAdapter } from '@socket.io/redis-streams-adapter'
import { localFirst } from './server/local-first-adapter.js'
import { configErrors } from './errors.js'
import { buildCollaborationFeature } from './feature.js'
import { resolveFeatureOptions, resolveOptions, type CollaborationOptions, type FeatureOptions, type ResolvedOptions } from './options.js'
import type { Logger } from './server/event-router.js'
import { createSocketServer, type SocketServer } from './server/socket-server.js'
import { MemoryStore } from './store/memory-store.js'
import { RedisStore } from './store/redis-store.js'
import type { Store } from './store/store.js'
import { recordKey, redisKeys } from './store/keys.js'
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
  return new RedisStore({
    redis: options.redis as never,
    keyPrefix: options.redisKeyPrefix,
    connection: options.redisConnection,
    // Leases lost with a restarted Redis end by themselves after lockTtlMs at the latest.
    restartQuietMs: options.lockTtlMs,
  })
}

/**
 * Socket.IO's adapter for several processes sharing one Redis, so a user on one process sees what
 * happens on the others. The streams adapter rather than the pub/sub one (@socket.io/redis-adapter):
 * broadcasts are appended to a Redis stream that every process reads on from the last entry it got,
 * so a connection that drops for a moment (killed, timed out, failed over) picks up where it stopped
 * and nothing is lost; a pub/sub subscriber misses whatever is published while it reconnects. Its
 * publisher queues while reconnecting (RedisStore.duplicateClient). Version 0.3 takes ioredis clients.
 */
function clusterAdapter(store: RedisStore, keyPrefix: string) {
  const keys = redisKeys(keyPrefix)
  const streams = createAdapter(store.duplicateClient(), {
    streamName: keys.socketIoStream(),
    channelPrefix: keys.socketIoChannel(),
    sessionKeyPrefix: keys.socketIoSession(),
  })
  return localFirst(streams)
}

export class Collaboration {
  readonly options: ResolvedOptions
  private readonly store: Store
  private socketServer: SocketServer | undefined
  private closed = false
  private logger: Logger = console
  private stopStatus: (() => void) | undefined
  /** One per feature() call: guards that feature's resources of an AdminJS instance. */
  private readonly installs: Array<(admin: AdminJS) => void> = []

  constructor(options?: CollaborationOptions) {
    this.options = resolveOptions(options)
    this.store = createStore(this.options)
  }

  /** 'memory' (one process) or 'redis' (shared by every process using the same Redis). */
  get storeKind(): Store['kind'] {
    return this.store.kind
  }

  /**
   * Resolves once the store can serve requests (Redis: connected and checked), rejects if it cannot
   * within `redisConnection.connectTimeoutMs` (it keeps retrying). Until then events that need the
   * store are answered `store_unavailable`; awaiting this before taking traffic avoids that.
   */
  ready(): Promise<void> {
    return this.store.ready()
  }

  /** Add to a resource's `features`. Options here override texts and switches for that resource. */
  feature(featureOptions?: FeatureOptions): FeatureType {
    const built = buildCollaborationFeature({
      options: this.options,
      feature: resolveFeatureOptions(featureOptions, this.options),
      locks: () => this.store.locks,
      saves: () => this.store.saves,
      writes: () => this.store.writes,
      identify: this.options.identify,
      onSaved: (ref, by, version) => this.announceSave(ref, by, version),
      // Read at each use: attach() may bring another logger.
      logger: { warn: (...args: unknown[]) => this.logger.warn(...args) },
    })
    this.installs.push(built.install)
    return built.feature
  }

  /** Remembers who saved which version (for stale-save notices) and tells everyone on the record. */
  private async announceSave(ref: RecordRef, by: UserView, version: string): Promise<void> {
    this.socketServer?.announceSave(ref, by, version)
    await this.store.saves.recordSave(recordKey(ref.resourceId, ref.recordId), { user: by, atMs: Date.now(), version }, SAVE_MEMORY_MS)
  }

  /** Starts the socket server on the admin's HTTP server. Call once, after `app.listen()`. */
  async attach(httpServer: HttpServer, attach: AttachOptions): Promise<SocketServer> {
    if (this.closed) throw configErrors.closed()
    if (this.socketServer) throw configErrors.attachedTwice()
    if (!attach.session?.store) throw configErrors.sessionStoreMissing()
    if (!attach.auth?.cookiePassword) throw configErrors.cookiePasswordMissing()
    if (attach.logger) this.logger = attach.logger
    // The feature guarded its resources when AdminJS was built; again here, in case that was missed.
    for (const install of this.installs) install(attach.admin)
    const redis = this.store instanceof RedisStore ? this.store : undefined
    const socketServer = createSocketServer(httpServer, {
      admin: attach.admin,
      store: this.store,
      options: this.options,
      auth: { session: attach.session, cookieName: attach.auth.cookieName, cookiePassword: attach.auth.cookiePassword },
      logger: this.logger,
      ...(redis ? { adapter: clusterAdapter(redis, this.options.redisKeyPrefix), storeAvailable: redis.isAvailable() } : {}),
    })
    this.socketServer = socketServer
    if (redis) {
      const onStatus = (available: boolean) => socketServer.storeStatus(available)
      redis.on('status', onStatus)
      this.stopStatus = () => redis.off('status', onStatus)
    }
    return socketServer
  }

  /** Stops the socket server and the store's connections. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.stopStatus?.()
    // The socket server first: its adapter's readers stop before the store ends their connections.
    await this.socketServer?.close()
    await this.store.close()
  }
}

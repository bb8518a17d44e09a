/**
 * The one object a user creates: it owns the options and the store, builds the feature for
 * resources (before AdminJS exists) and attaches the socket server (after the HTTP server does).
 */
import http, { type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type AdminJS from 'adminjs'
import type { FeatureType } from 'adminjs'
import type { SessionOptions, Store as SessionStore } from 'express-session'
import { localFirst } from './server/local-first-adapter.js'
import { partitionedStreams } from './server/partitioned-streams.js'
import { configErrors } from './errors.js'
import { buildCollaborationFeature, COMPONENTS } from './feature.js'
import { COMPONENT_CONFIG_KEY, type ComponentConfig, type LocksPageConfig } from './component-config.js'
import { resolveFeatureOptions, resolveOptions, type CollaborationOptions, type FeatureOptions, type ResolvedOptions } from './options.js'
import type { Logger } from './server/event-router.js'
import { createSocketServer, type SocketServer, type SocketServerDeps } from './server/socket-server.js'
import { remoteAnnouncer, type Announcer } from './server/announcer.js'
import { serveTokens } from './server/token-endpoint.js'
import { readRequestSession, SessionReads, type SessionCookie } from './server/handshake-session.js'
import { MemoryStore } from './store/memory-store.js'
import { RedisStore } from './store/redis-store.js'
import type { ChangeRecord, Store } from './store/store.js'
import { recordKey, redisKeys } from './store/keys.js'
import { socketTokenPath, type RecordRef, type UserView } from './protocol.js'
import { createAudit, type Audit } from './audit.js'
import { LISTEN_BACKLOG } from './listen-backlog.js'

export interface LocksPageOptions {
  /** The page's icon in the sidebar (a Feather icon name, as AdminJS takes). @default 'Lock' */
  icon?: string
}

/** A page as AdminJS 7 takes it in its `pages` option. */
export interface LocksPageDefinition {
  component: string
  icon: string
  handler: (request: unknown, response: unknown, context: { _admin: AdminJS }) => Promise<LocksPageConfig>
}

/** A resource of this admin with the feature, whose translations the locks page borrows. */
function textsResourceOf(admin: AdminJS): { id: string; config: ComponentConfig } | null {
  for (const resource of admin.resources) {
    const custom = resource.decorate().actions.edit?.custom() as Record<string, unknown> | undefined
    const config = custom?.[COMPONENT_CONFIG_KEY] as ComponentConfig | undefined
    if (config) return { id: resource.decorate().id(), config }
  }
  return null
}

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
  if (options.redis === undefined) return new MemoryStore({ auditMaxEntries: options.auditMaxEntries, changeLogMaxEntries: options.changeLogMaxEntries })
  return new RedisStore({
    auditMaxEntries: options.auditMaxEntries,
    changeLogMaxEntries: options.changeLogMaxEntries,
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
 * On a Redis Cluster the broadcasts are spread over several streams by record, so no one master
 * carries them all (partitioned-streams.ts).
 */
const CLUSTER_BROADCAST_STREAMS = 16

function clusterAdapter(store: RedisStore, options: ResolvedOptions) {
  const keys = redisKeys(options.redisKeyPrefix)
  const streams = partitionedStreams(store.duplicateClient(), {
    streamName: keys.socketIoStream(),
    streamCount: options.broadcastStreams ?? (store.cluster ? CLUSTER_BROADCAST_STREAMS : 1),
    channelPrefix: keys.socketIoChannel(),
    sessionKeyPrefix: keys.socketIoSession(),
    // Every event of the protocol is JSON: no walk of each broadcast looking for binary data.
    onlyPlaintext: true,
  })
  return localFirst(streams)
}

/** Where a separate socket server listens (`collaboration.listen`). */
export interface ListenOptions {
  port: number
  /** @default '0.0.0.0' */
  host?: string
  /** An AdminJS instance with the same resources as the admin's (permissions are asked of it); it serves no pages here. */
  admin: AdminJS
  /** The session store the admin's login writes to, shared (e.g. connect-redis on the same Redis). */
  session: { store: SessionStore }
  /** Where operational problems are reported. @default console */
  logger?: Logger
}

export interface Listening {
  /** e.g. http://127.0.0.1:3101: what the admin's `socketUrl` names. */
  url: string
  port: number
  close(): Promise<void>
}

export class Collaboration {
  readonly options: ResolvedOptions
  private readonly store: Store
  /** What tells the sockets of saves and changes: the socket server here, or the admin's emitter to a separate tier. */
  private socketServer: Announcer | undefined
  private stopSocketServer: (() => Promise<void>) | undefined
  private closed = false
  /** Ids of changes told while the change log was away (see publishChange). */
  private localChanges = 0
  private logger: Logger = console
  private stopStatus: (() => void) | undefined
  /** One per feature() call: guards that feature's resources of an AdminJS instance. */
  private readonly installs: Array<(admin: AdminJS) => void> = []
  /** Every lock event goes to the store's audit log and to `onAudit` through this (audit.ts). */
  private readonly audit: Audit

  constructor(options?: CollaborationOptions) {
    this.options = resolveOptions(options)
    this.store = createStore(this.options)
    this.audit = createAudit({ log: () => this.store.audit, onAudit: this.options.onAudit, logger: () => this.logger })
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
      onSaved: (ref, by, version, fields) => this.announceSave(ref, by, version, fields),
      onWritten: (change) => void this.publishChange(change),
      audit: this.audit,
      // Read at each use: attach() may bring another logger.
      logger: { warn: (...args: unknown[]) => this.logger.warn(...args) },
    })
    this.installs.push(built.install)
    return built.feature
  }

  /**
   * The locks page, for AdminJS's `pages` option: `pages: { locks: collaboration.locksPage() }`
   * (the key is the page's name and URL). Every admin may open it and sees their own locks there;
   * `canViewLocks` says who sees everyone's and the audit log, `canForceRelease` who may end
   * another's lock. The server checks both on every event. Its component is registered by the
   * feature, so at least one resource must use `feature()`.
   */
  locksPage(options: LocksPageOptions = {}): LocksPageDefinition {
    return {
      component: COMPONENTS.locks.name,
      icon: options.icon ?? 'Lock',
      handler: async (_request, _response, context) => {
        const found = textsResourceOf(context._admin)
        if (!found) throw configErrors.locksPageWithoutFeature()
        return { ...(this.options.socketPath ? { socketPath: this.options.socketPath } : {}), textsResourceId: found.id, texts: found.config.texts }
      },
    }
  }

  /**
   * The change feed: keeps the write in the store's change log (the bell's panel reads it back) and
   * tells every admin who may see its resource. A store that is away costs the log entry, not the
   * news: connected admins still hear of it, with an id of this process's own.
   */
  private async publishChange(change: ChangeRecord): Promise<void> {
    let id: string
    try {
      id = await this.store.changes.append(change)
    } catch (error) {
      this.logger.warn('adminjs-collaborator: the change log could not keep a change', error)
      id = `local-${change.atMs}-${++this.localChanges}`
    }
    this.socketServer?.announceChange({ ...change, id })
  }

  /** Remembers who saved which version (for stale-save notices) and tells everyone on the record. */
  private async announceSave(ref: RecordRef, by: UserView, version: string, fields: string[]): Promise<void> {
    this.socketServer?.announceSave(ref, by, version, fields)
    await this.store.saves.recordSave(recordKey(ref.resourceId, ref.recordId), { user: by, atMs: Date.now(), version }, SAVE_MEMORY_MS)
  }

  /**
   * Starts the socket server on the admin's HTTP server. Call once, after `app.listen()`. With
   * `socketUrl` the sockets are served apart (`listen`, in processes of their own): this admin then
   * serves the pages' connection tokens (`<rootPath>/collaborator/token`) and tells that tier of
   * saves and changes through Redis, and answers no socket itself (the result is null).
   */
  async attach(httpServer: HttpServer, attach: AttachOptions): Promise<SocketServer | null> {
    if (this.closed) throw configErrors.closed()
    if (this.socketServer) throw configErrors.attachedTwice()
    if (!attach.session?.store) throw configErrors.sessionStoreMissing()
    if (!attach.auth?.cookiePassword) throw configErrors.cookiePasswordMissing()
    if (attach.logger) this.logger = attach.logger
    // The feature guarded its resources when AdminJS was built; again here, in case that was missed.
    for (const install of this.installs) install(attach.admin)
    if (this.options.socketUrl !== undefined) {
      this.attachTokens(httpServer, attach)
      return null
    }
    return this.startSocketServer(httpServer, attach.admin, { session: attach.session, cookieName: attach.auth.cookieName, cookiePassword: attach.auth.cookiePassword })
  }

  /**
   * A socket server in a process of its own (#15): it listens on `port`, accepts only connections
   * with the admin's connection tokens (`tokenSecret`), and shares the admin's Redis (state, and the
   * cluster adapter that carries every broadcast between processes) and session store (a logout
   * ends its sockets as on the admin). Run several behind a load balancer; the pages find them at
   * the admin's `socketUrl`.
   */
  async listen(listen: ListenOptions): Promise<Listening> {
    if (this.closed) throw configErrors.closed()
    if (this.socketServer) throw configErrors.attachedTwice()
    const secret = this.splitSecret()
    if (!listen.session?.store) throw configErrors.sessionStoreMissing()
    if (listen.logger) this.logger = listen.logger
    const httpServer = http.createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' })
      res.end('adminjs-collaborator: this server serves sockets only')
    })
    // The socket's cookie options are not needed: tokens carry the session id.
    this.startSocketServer(httpServer, listen.admin, { session: { store: listen.session.store, secret: '' }, cookiePassword: '' }, { secret })
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject)
      httpServer.listen({ port: listen.port, host: listen.host ?? '0.0.0.0', backlog: LISTEN_BACKLOG }, () => resolve())
    })
    const port = (httpServer.address() as AddressInfo).port
    const host = listen.host && listen.host !== '0.0.0.0' ? listen.host : '127.0.0.1'
    const closeHttp = () => new Promise<void>((resolve) => httpServer.close(() => resolve()))
    const stopSocketServer = this.stopSocketServer
    this.stopSocketServer = async () => {
      await stopSocketServer?.()
      httpServer.closeAllConnections()
      await closeHttp()
    }
    return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, port, close: () => this.close() }
  }

  /** Split mode's requirements: a Redis the processes share, and the tokens' secret. */
  private splitSecret(): string {
    if (!(this.store instanceof RedisStore)) throw configErrors.socketTierNeedsRedis()
    if (this.options.tokenSecret === undefined) throw configErrors.tokenSecretMissing()
    return this.options.tokenSecret
  }

  private attachTokens(httpServer: HttpServer, attach: AttachOptions): void {
    const secret = this.splitSecret()
    const redis = this.store as RedisStore
    const cookie: SessionCookie = { name: attach.auth.cookieName ?? 'adminjs', secret: attach.auth.cookiePassword, cookie: attach.session.cookie }
    const reads = new SessionReads(attach.session.store!)
    const stopTokens = serveTokens(httpServer, {
      path: socketTokenPath(attach.admin.options.rootPath),
      readSession: (req) => readRequestSession(req, cookie, reads),
      identify: this.options.identify,
      secret,
      ttlMs: this.options.tokenTtlMs,
    })
    const announcer = remoteAnnouncer(clusterAdapter(redis, this.options))
    this.socketServer = announcer
    this.stopSocketServer = async () => {
      stopTokens()
      await announcer.close()
    }
  }

  private startSocketServer(httpServer: HttpServer, admin: AdminJS, auth: SocketServerDeps['auth'], token?: SocketServerDeps['token']): SocketServer {
    const redis = this.store instanceof RedisStore ? this.store : undefined
    const socketServer = createSocketServer(httpServer, {
      admin,
      store: this.store,
      options: this.options,
      auth,
      ...(token ? { token } : {}),
      logger: this.logger,
      audit: this.audit,
      ...(redis ? { adapter: clusterAdapter(redis, this.options), storeAvailable: redis.isAvailable() } : {}),
    })
    this.socketServer = socketServer
    this.stopSocketServer = () => socketServer.close()
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
    await this.stopSocketServer?.()
    await this.store.close()
  }
}

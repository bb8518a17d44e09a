/**
 * Wires Socket.IO onto the admin's HTTP server: path, origin check, the admin session, the event
 * guard, and one handler module per area. It owns the lease keeper and the grace timers.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http'
import type AdminJS from 'adminjs'
import { Server, type ServerOptions } from 'socket.io'
import { defaultSocketPath, ErrorCode, type RecordRef, type UserView } from '../protocol.js'
import type { ResolvedOptions } from '../options.js'
import type { ChangeEntry, Store } from '../store/store.js'
import { adminSessionOf, HandshakeSessions, isAllowedOrigin, originRefusalLogger, requireAdmin, type OriginPolicy, type SessionAuth } from './auth.js'
import type { CollabServer, CollabSocket, ServerContext } from './context.js'
import { createEventRouter, type Logger } from './event-router.js'
import { readRequestSession, SessionReads, type SessionCookie } from './handshake-session.js'
import { serveRefusalProbe } from './refusal-probe.js'
import { SessionWatch } from './session-watch.js'
import { LeaseKeeper } from './lease-keeper.js'
import { announceLock, lockFeature, registerLockHandlers } from './lock.handlers.js'
import { dropRecordSession, registerRecordSession } from './record-session.js'
import { registerUnload } from './unload.js'
import { registerAttentionHandlers } from './attention.handlers.js'
import { registerChatHandlers } from './chat.handlers.js'
import { IdleWatch, registerIdleHandlers } from './idle.js'
import { announcePresence } from './presence.js'
import { PresenceKeeper } from './presence-keeper.js'
import { registerLocksPage } from './locks-page.js'
import { announceQueue, QueueKeeper, queueFeature, registerQueueHandlers } from './queue.handlers.js'
import type { Audit } from '../audit.js'
import { registerChangeFeed } from './change-feed.js'
import { registerListWatch } from './list-watch.js'
import { tokenHandshake } from './token-handshake.js'
import { announceSaveTo } from './announcer.js'

export interface SocketServerDeps {
  admin: AdminJS
  store: Store
  options: ResolvedOptions
  auth: SessionAuth
  /**
   * A socket server apart from the admin (`collaboration.listen`): connections authenticate with the
   * admin's connection tokens (socket-token.ts) instead of the session cookie, which a page on the
   * admin's origin cannot send here; the session they name is read from the shared session store.
   */
  token?: { secret: string }
  logger: Logger
  /** The audit trail's entry point (audit.ts); absent: events are not recorded (unit setups). */
  audit?: Audit
  /**
   * Socket.IO's cluster adapter (Redis), so that broadcasts reach the sockets of every process.
   * Absent: Socket.IO's in-memory adapter, this process only.
   */
  adapter?: ServerOptions['adapter']
  /** Whether the store answers right now; later changes come through `storeStatus()`. @default true */
  storeAvailable?: boolean
}

/**
 * A store outage is shown to the sockets only once it has lasted this long: a connection that is
 * re-established at once (a killed connection, a failover) should not flash "offline" in every tab.
 */
const OFFLINE_NOTICE_DELAY_MS = 1000

/**
 * Room above `maxEventBytes` for the frame around the payload (event name, ack id), so an oversized
 * event still reaches the router and gets a `payload_too_large` answer; anything far larger is
 * refused by the WebSocket itself before it is parsed (a 1 MB frame costs nothing to refuse).
 */
const FRAME_OVERHEAD_BYTES = 8192

export interface SocketServer {
  io: CollabServer
  path: string
  /** Tells everyone on the record that it was saved (called by the feature's after hook). */
  announceSave(ref: RecordRef, by: UserView, version: string, fields: string[]): void
  /** Tells every admin who may see the resource of a write made through the admin (the change feed). */
  announceChange(entry: ChangeEntry): void
  /**
   * The store went away or came back (RedisStore's 'status'). This process's sockets hear of it as
   * `server:status`; on coming back, this process's editors re-assert their leases and its sockets'
   * presence is written again (the store may have come back empty).
   */
  storeStatus(available: boolean): void
  close(): Promise<void>
}

export function createSocketServer(httpServer: HttpServer, deps: SocketServerDeps): SocketServer {
  const { admin, store, options, logger } = deps
  const path = options.socketPath ?? defaultSocketPath(admin.options.rootPath)
  const policy: OriginPolicy = { allowedOrigins: options.allowedOrigins, trustProxy: options.trustProxy }
  const logRefusedOrigin = originRefusalLogger(logger)
  // Same session as the admin login: same store instance, same cookie name, same secret.
  const cookie: SessionCookie = { name: deps.auth.cookieName ?? 'adminjs', secret: deps.auth.cookiePassword, cookie: deps.auth.session.cookie }
  const sessionReads = new SessionReads(deps.auth.session.store!)
  const readSession = (req: IncomingMessage) => readRequestSession(req, cookie, sessionReads)
  const handshakes = new HandshakeSessions()
  const io: CollabServer = new Server(httpServer, {
    path,
    // WebSocket only by default: no sticky sessions needed behind a load balancer.
    transports: ['websocket'],
    maxHttpBufferSize: options.maxEventBytes + FRAME_OVERHEAD_BYTES,
    // Before the WebSocket opens: an outsider or a foreign page gets no connection at all, not one
    // that is refused after CONNECT. A session store that cannot be read refuses too (no verdict
    // on the page: the refusal probe says so).
    allowRequest: (req, callback) => {
      if (!isAllowedOrigin(req, policy)) {
        logRefusedOrigin(req, policy.trustProxy)
        return callback(ErrorCode.BadOrigin, false)
      }
      // The token travels in the CONNECT packet, after the upgrade (tokenHandshake).
      if (deps.token) return callback(null, true)
      readSession(req).then(
        (found) => {
          const session = adminSessionOf(found)
          if (!session) return callback(ErrorCode.Unauthenticated, false)
          handshakes.put(req, session)
          callback(null, true)
        },
        () => callback(ErrorCode.StoreUnavailable, false),
      )
    },
    serveClient: false,
    // A silently vanished tab is noticed within pingIntervalMs + pingTimeoutMs.
    pingInterval: options.pingIntervalMs,
    pingTimeout: options.pingTimeoutMs,
    ...(deps.adapter ? { adapter: deps.adapter } : {}),
  })
  if (deps.token) tokenHandshake(io, { secret: deps.token.secret, tokens: store.tokens, sessions: sessionReads, handshakes, identify: options.identify })
  requireAdmin(io, { sessions: handshakes, identify: options.identify, maxSocketsPerUser: options.maxSocketsPerUser, refreshAdmin: options.refreshAdmin, logger })
  // A page on the admin's origin cannot read a probe here (no CORS): a refused token says why itself.
  const stopProbe = deps.token ? () => undefined : serveRefusalProbe(httpServer, path, policy, readSession)

  const ctx: ServerContext = {
    io,
    admin,
    store,
    options,
    logger,
    audit: deps.audit ?? (async () => undefined),
    timers: new Set(),
    closing: false,
    keeper: new LeaseKeeper(
      store.locks,
      options.lockTtlMs,
      options.heartbeatIntervalMs,
      (_key, held, state) => {
        // Re-granted to the same tab (the store came back), or lost: nobody renewed it in time.
        const kept = state.lease?.token === held.claimant.token && state.lease.user.id === held.claimant.user.id
        void ctx.audit({ kind: kept ? 'granted' : 'expired', ref: held.ref, user: held.claimant.user, reason: kept ? 'reasserted' : 'not-renewed' })
        void announceLock(ctx, held.ref, state).catch((error) => logger.warn('adminjs-collaborator: announcing a changed lease failed', error))
      },
      (socketId) => io.of('/').sockets.has(socketId),
    ),
    // The same reads: a join's re-check shares one store read with the other tabs of its session.
    sessions: new SessionWatch(io, sessionReads, options.refreshAdmin, options.heartbeatIntervalMs, logger),
    presenceKeeper: new PresenceKeeper(store.presence, options.lockTtlMs, options.heartbeatIntervalMs, (key, ref) => {
      void store.presence
        .list(key)
        .then((snapshot) => announcePresence(ctx, ref, snapshot))
        .catch((error) => logger.warn('adminjs-collaborator: announcing presence failed', error))
    }),
    queueKeeper: new QueueKeeper(store.queue, options.lockTtlMs, options.heartbeatIntervalMs, (key, ref) => {
      void announceQueue(ctx, key, ref).catch((error) => logger.warn('adminjs-collaborator: announcing the queue failed', error))
    }),
  }

  // What the sockets were told about the store (`server:status`), and what it really is now.
  let storeAvailable = deps.storeAvailable ?? true
  let announcedAvailable = storeAvailable
  let offlineNotice: NodeJS.Timeout | undefined
  const announceStore = (available: boolean) => {
    clearTimeout(offlineNotice)
    offlineNotice = undefined
    if (announcedAvailable === available) return
    announcedAvailable = available
    // Local: every process tells its own sockets about its own connection to the store.
    io.local.emit('server:status', { storeAvailable: available })
  }

  // The per-record features that hook into joining and leaving a record.
  const recordFeatures = [lockFeature(ctx), queueFeature(ctx)]

  // Every event goes through the router; without enableChat the chat events are not registered,
  // so they are answered `unknown_event` like any other name. The handlers are registered once, for
  // every socket: a connection adds its socket to the router, and no function of its own.
  const router = createEventRouter({
    maxEventBytes: options.maxEventBytes,
    eventsPerSecond: options.eventsPerSecond,
    logger,
    gate: (socket) => (socket.data.ended ? { code: ErrorCode.Unauthenticated, message: 'the session has ended' } : null),
  })
  registerRecordSession(ctx, router, recordFeatures)
  registerLockHandlers(ctx, router)
  registerUnload(ctx, router)
  registerAttentionHandlers(ctx, router)
  registerQueueHandlers(ctx, router)
  registerIdleHandlers(ctx, router)
  const idleWatch = new IdleWatch(ctx)
  if (options.enableChat) registerChatHandlers(ctx, router)
  const locksPage = registerLocksPage(ctx, router)
  ctx.locksChanged = locksPage.locksChanged
  const changeFeed = registerChangeFeed(ctx, router)
  registerListWatch(ctx, router)
  // Socket.IO calls a socket's listeners with the socket as `this`: one function serves them all.
  function dropped(this: CollabSocket): void {
    dropRecordSession(ctx, this, recordFeatures)
  }

  io.on('connection', (socket) => {
    if (!announcedAvailable) socket.emit('server:status', { storeAvailable: false })
    router.attach(socket)
    socket.on('disconnect', dropped)
  })

  return {
    io,
    path,
    announceSave(ref, by, version, fields) {
      announceSaveTo(io, ref, by, version, fields)
    },
    announceChange(entry) {
      if (!ctx.closing) changeFeed.announce(entry)
    },
    storeStatus(available) {
      if (ctx.closing || available === storeAvailable) return
      storeAvailable = available
      if (!available) {
        offlineNotice ??= setTimeout(() => announceStore(false), OFFLINE_NOTICE_DELAY_MS)
        offlineNotice.unref()
        return
      }
      announceStore(true)
      ctx.keeper.renewNow()
      void ctx.presenceKeeper.rejoinAll()
      void ctx.queueKeeper.rejoinAll(options.queueTurnMs)
    },
    async close() {
      // Leases of editors on this process stay until their TTL: after a restart or deploy the same
      // tabs reconnect (here or to another process) and renew them with their token.
      ctx.closing = true
      clearTimeout(offlineNotice)
      ctx.keeper.close()
      locksPage.close()
      changeFeed.close()
      idleWatch.close()
      ctx.presenceKeeper.close()
      ctx.queueKeeper.close()
      ctx.sessions.close()
      stopProbe()
      for (const timer of ctx.timers) clearTimeout(timer)
      ctx.timers.clear()
      // io.close() also closes the HTTP server it is attached to; the app owns that, so only
      // disconnect our sockets (ours alone: without `local` a cluster adapter would disconnect every
      // process's), stop the adapter (its Redis readers) and the engine.
      io.local.disconnectSockets(true)
      await io.of('/').adapter.close()
      io.engine.close()
    },
  }
}

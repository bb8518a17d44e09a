/**
 * Wires Socket.IO onto the admin's HTTP server: path, origin check, the admin session, the event
 * guard, and one handler module per area. It owns the lease keeper and the grace timers.
 */
import type { Server as HttpServer } from 'node:http'
import type AdminJS from 'adminjs'
import { Server, type ServerOptions } from 'socket.io'
import { defaultSocketPath, type RecordRef, type UserView } from '../protocol.js'
import type { ResolvedOptions } from '../options.js'
import type { Store } from '../store/store.js'
import { isAllowedOrigin, requireAdmin, useAdminSession, type SessionAuth } from './auth.js'
import type { CollabServer, ServerContext } from './context.js'
import { guardEvents } from './event-guard.js'
import type { Logger } from './handle.js'
import { LeaseKeeper } from './lease-keeper.js'
import { announceLock, registerLockHandlers } from './lock.handlers.js'
import { registerAttentionHandlers } from './attention.handlers.js'
import { registerChatHandlers } from './chat.handlers.js'
import { announcePresence } from './presence.js'
import { PresenceKeeper } from './presence-keeper.js'
import { recordRoom } from '../store/keys.js'

export interface SocketServerDeps {
  admin: AdminJS
  store: Store
  options: ResolvedOptions
  auth: SessionAuth
  logger: Logger
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

const KNOWN_EVENTS = new Set(['lock:join', 'lock:claim', 'lock:takeover', 'lock:leave', 'lock:handover', 'attention:request'])
/** Known only with `enableChat`: without it they are answered `unknown_event`, like any other name. */
const CHAT_EVENTS = ['chat:send', 'chat:history']

export interface SocketServer {
  io: CollabServer
  path: string
  /** Tells everyone on the record that it was saved (called by the feature's after hook). */
  announceSave(ref: RecordRef, by: UserView, version: string): void
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
  const knownEvents = options.enableChat ? new Set([...KNOWN_EVENTS, ...CHAT_EVENTS]) : KNOWN_EVENTS
  const io: CollabServer = new Server(httpServer, {
    path,
    // WebSocket only by default: no sticky sessions needed behind a load balancer.
    transports: ['websocket'],
    // Above our own per-event limit, so an oversized event reaches the guard and gets an error
    // acknowledgement instead of Socket.IO dropping the whole connection.
    maxHttpBufferSize: Math.max(options.maxEventBytes * 4, 1_000_000),
    allowRequest: (req, callback) => {
      const allowed = isAllowedOrigin(req, options.allowedOrigins)
      callback(allowed ? null : 'origin not allowed', allowed)
    },
    serveClient: false,
    // A silently vanished tab is noticed within pingIntervalMs + pingTimeoutMs.
    pingInterval: options.pingIntervalMs,
    pingTimeout: options.pingTimeoutMs,
    ...(deps.adapter ? { adapter: deps.adapter } : {}),
  })
  useAdminSession(io, deps.auth)
  requireAdmin(io, options.identify)

  const ctx: ServerContext = {
    io,
    admin,
    store,
    options,
    logger,
    timers: new Set(),
    closing: false,
    keeper: new LeaseKeeper(store.locks, options.lockTtlMs, options.heartbeatIntervalMs, (_key, held, lease) => {
      void announceLock(ctx, held.ref, lease).catch((error) => logger.warn('adminjs-collaborator: announcing a changed lease failed', error))
    }),
    presenceKeeper: new PresenceKeeper(store.presence, options.lockTtlMs, options.heartbeatIntervalMs, (key, ref) => {
      void store.presence
        .list(key)
        .then((entries) => announcePresence(ctx, ref, entries))
        .catch((error) => logger.warn('adminjs-collaborator: announcing presence failed', error))
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

  io.on('connection', (socket) => {
    if (!announcedAvailable) socket.emit('server:status', { storeAvailable: false })
    socket.data.joined = new Map()
    guardEvents(socket, { knownEvents, maxEventBytes: options.maxEventBytes, eventsPerSecond: options.eventsPerSecond })
    registerLockHandlers(ctx, socket)
    registerAttentionHandlers(ctx, socket)
    if (options.enableChat) registerChatHandlers(ctx, socket)
  })

  return {
    io,
    path,
    announceSave(ref, by, version) {
      io.to(recordRoom(ref.resourceId, ref.recordId)).emit('record:saved', { ...ref, by, version, atMs: Date.now() })
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
    },
    async close() {
      // Leases of editors on this process stay until their TTL: after a restart or deploy the same
      // tabs reconnect (here or to another process) and renew them with their token.
      ctx.closing = true
      clearTimeout(offlineNotice)
      ctx.keeper.close()
      ctx.presenceKeeper.close()
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

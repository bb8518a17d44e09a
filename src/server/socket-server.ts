/**
 * Wires Socket.IO onto the admin's HTTP server: path, origin check, the admin session, the event
 * guard, and one handler module per area. It owns the lease keeper and the grace timers.
 */
import type { Server as HttpServer } from 'node:http'
import type AdminJS from 'adminjs'
import { Server } from 'socket.io'
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
import { announcePresence } from './presence.js'
import { PresenceKeeper } from './presence-keeper.js'
import { recordRoom } from '../store/keys.js'

export interface SocketServerDeps {
  admin: AdminJS
  store: Store
  options: ResolvedOptions
  auth: SessionAuth
  logger: Logger
}

const KNOWN_EVENTS = new Set(['lock:join', 'lock:claim', 'lock:takeover', 'lock:leave', 'lock:handover', 'attention:request'])

export interface SocketServer {
  io: CollabServer
  path: string
  /** Tells everyone on the record that it was saved (called by the feature's after hook). */
  announceSave(ref: RecordRef, by: UserView, version: string): void
  close(): Promise<void>
}

export function createSocketServer(httpServer: HttpServer, deps: SocketServerDeps): SocketServer {
  const { admin, store, options, logger } = deps
  const path = options.socketPath ?? defaultSocketPath(admin.options.rootPath)
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
    keeper: new LeaseKeeper(store.locks, options.lockTtlMs, options.heartbeatIntervalMs, (_key, held) => {
      void announceLock(ctx, held.ref).catch((error) => logger.warn('adminjs-collaborator: announcing a lost lease failed', error))
    }),
    presenceKeeper: new PresenceKeeper(store.presence, options.lockTtlMs, options.heartbeatIntervalMs, (key, ref) => {
      void store.presence
        .list(key)
        .then((entries) => announcePresence(ctx, ref, entries))
        .catch((error) => logger.warn('adminjs-collaborator: announcing presence failed', error))
    }),
  }

  io.on('connection', (socket) => {
    socket.data.joined = new Map()
    guardEvents(socket, { knownEvents: KNOWN_EVENTS, maxEventBytes: options.maxEventBytes, eventsPerSecond: options.eventsPerSecond })
    registerLockHandlers(ctx, socket)
    registerAttentionHandlers(ctx, socket)
  })

  return {
    io,
    path,
    announceSave(ref, by, version) {
      io.to(recordRoom(ref.resourceId, ref.recordId)).emit('record:saved', { ...ref, by, version, atMs: Date.now() })
    },
    async close() {
      // Leases of editors on this process stay until their TTL: after a restart or deploy the same
      // tabs reconnect (here or to another process) and renew them with their token.
      ctx.closing = true
      ctx.keeper.close()
      ctx.presenceKeeper.close()
      for (const timer of ctx.timers) clearTimeout(timer)
      ctx.timers.clear()
      // io.close() also closes the HTTP server it is attached to; the app owns that, so only
      // disconnect our sockets and stop the engine.
      io.disconnectSockets(true)
      io.engine.close()
    },
  }
}

import type AdminJS from 'adminjs'
import type { Server, Socket } from 'socket.io'
import type { ClientToServerEvents, JoinIntent, RecordRef, ServerToClientEvents, UserView } from '../protocol.js'
import type { AdminUser, ResolvedOptions } from '../options.js'
import type { Store } from '../store/store.js'
import type { LeaseKeeper } from './lease-keeper.js'
import type { PresenceKeeper } from './presence-keeper.js'
import type { Logger } from './handle.js'

/** What this socket has joined, by record key. */
export interface JoinedRecord {
  ref: RecordRef
  intent: JoinIntent
  token: string
  tabId: string
  locking: boolean
  /** The resource offers chat (its feature's `enableChat`), as read when joining. */
  chat: boolean
}

export interface SocketData {
  adminUser: AdminUser
  user: UserView
  joined: Map<string, JoinedRecord>
}

export type CollabServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>
export type CollabSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>

/** Everything a handler module may use. Handlers see the store interface, never a concrete store. */
export interface ServerContext {
  io: CollabServer
  admin: AdminJS
  store: Store
  options: ResolvedOptions
  keeper: LeaseKeeper
  presenceKeeper: PresenceKeeper
  logger: Logger
  /** Timers to clear on close (reconnect grace). */
  timers: Set<NodeJS.Timeout>
  /** Set while shutting down: disconnects then are ours, not the users'. */
  closing: boolean
}

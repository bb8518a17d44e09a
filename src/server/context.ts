import type AdminJS from 'adminjs'
import type { Server, Socket } from 'socket.io'
import type { ClientToServerEvents, JoinIntent, RecordRef, ServerToClientEvents, UserView } from '../protocol.js'
import type { AdminUser, ResolvedOptions } from '../options.js'
import type { Store } from '../store/store.js'
import type { LeaseKeeper } from './lease-keeper.js'
import type { PresenceKeeper } from './presence-keeper.js'
import type { QueueKeeper } from './queue.handlers.js'
import type { Logger } from './event-router.js'
import type { AliasMap, LazyMap } from './lazy-map.js'
import type { SessionWatch } from './session-watch.js'
import type { Audit } from '../audit.js'

/** What this socket has joined, by record key (the key of the id as the resource returns it). */
export interface JoinedRecord {
  /** The record as the resource names it, whatever spelling of the id the client sent. */
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
  /** The express-session id the handshake carried: re-read to learn of logout and expiry. */
  sessionId: string
  /** Digest of the admin as the handshake saw it: a session whose admin differs is over. */
  adminDigest: string
  joined: LazyMap<string, JoinedRecord>
  /** Key of a record as the client spelt its id → the key of the record as the resource names it (spellings that are the key itself are not kept). */
  aliases: AliasMap
  /** Set when the server ends the socket (session over): its leases go at once, with no grace. */
  ended?: boolean
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
  /** This process's tabs waiting in records' lines (`lock:queue`). */
  queueKeeper: QueueKeeper
  sessions: SessionWatch
  logger: Logger
  /** Reports a lock event to the audit trail (never throws; callers need not wait). */
  audit: Audit
  /** Called on every lock change this process announces (the locks page refreshes its watchers). */
  locksChanged?: () => void
  /** Timers to clear on close (reconnect grace). */
  timers: Set<NodeJS.Timeout>
  /** Set while shutting down: disconnects then are ours, not the users'. */
  closing: boolean
}

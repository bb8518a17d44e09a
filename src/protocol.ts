/**
 * The wire protocol between the edit page (components/) and the socket server (src/server/).
 * Both sides import this file, so it imports nothing and holds only types and constants.
 *
 * Event names are grouped by area (`lock:*`, later `presence:*`, `attention:*`, `chat:*`).
 * Every client-to-server event carries an acknowledgement callback that receives an `Ack<T>`:
 * the server always answers, with data or with an error code, never silently.
 */

/** Bumped on any incompatible change; a client with another version is refused at handshake. */
export const PROTOCOL_VERSION = 4

/** Error codes a client can receive in a failed acknowledgement or a connect_error. */
export const ErrorCode = {
  /** The payload does not match the event's schema. */
  InvalidPayload: 'invalid_payload',
  /** The payload is larger than the server accepts for one event. */
  PayloadTooLarge: 'payload_too_large',
  /** The event is not known to this server (or its feature is disabled). */
  UnknownEvent: 'unknown_event',
  /** The handshake had no logged-in AdminJS session, or the session ended (logout, expiry, a changed admin). */
  Unauthenticated: 'unauthenticated',
  /** The user may not do this on this resource or record. */
  Forbidden: 'forbidden',
  /** The resource or record does not exist. */
  NotFound: 'not_found',
  /** The socket has not joined the record it is talking about. */
  NotJoined: 'not_joined',
  /** Too many events from this socket in a short time. */
  RateLimited: 'rate_limited',
  /** The lock is held by someone else and the request needs it. */
  LockHeld: 'lock_held',
  /** The collaboration store (Redis) cannot be reached right now. */
  StoreUnavailable: 'store_unavailable',
  /** The client speaks another protocol version. */
  VersionMismatch: 'version_mismatch',
  /** The browser page's origin is not the admin's. */
  BadOrigin: 'bad_origin',
  /** A chat message that is empty or only white space. */
  MessageEmpty: 'message_empty',
  /** A chat message longer than the configured limit. */
  MessageTooLong: 'message_too_long',
  /** The socket is joined to as many records as the server allows (`maxRecordsPerSocket`). */
  TooManyRecords: 'too_many_records',
  /** The user has as many sockets open on this server as it allows (`maxSocketsPerUser`). */
  TooManySockets: 'too_many_sockets',
  /**
   * A claim of a free record refused because others joined its line first (`lock:queue`): the
   * first in line has its turn. Not a failure of the page: it waits, and hears the line as `queue:state`.
   */
  Queued: 'queued',
  /** A separate socket server's connection token is not one its admin signed with the shared secret (forged, another secret, malformed). */
  TokenInvalid: 'token_invalid',
  /** The connection token's time is over (`tokenTtlMs`): the page asks the admin for a fresh one. */
  TokenExpired: 'token_expired',
  /** The connection token was used already: each one opens one connection. */
  TokenReplayed: 'token_replayed',
  /** Anything else; the server logged it. */
  Internal: 'internal',
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

export interface AckError {
  code: ErrorCode
  message: string
  /** With `rate_limited`: when the same request will be accepted again. */
  retryInMs?: number
}

export type Ack<T> = { ok: true; data: T } | { ok: false; error: AckError }

export type AckCallback<T> = (reply: Ack<T>) => void

/** What the client sends in `io(url, { auth })`. */
export interface HandshakeAuth {
  v: number
  /** To a socket server apart from the admin: a connection token from `socketTokenPath` (one per connection). */
  token?: string
}

/** A record, named the way AdminJS names it. Record ids are strings of any shape. */
export interface RecordRef {
  resourceId: string
  recordId: string
}

/** Why a page is on a record: `edit` wants the lock, `show` only looks. */
export type JoinIntent = 'edit' | 'show'

export interface JoinRequest extends RecordRef {
  /**
   * A random secret made by one browser tab. The lock belongs to a tab, not to a user, so the
   * same user's second tab is a viewer. Never broadcast: others see only its `tabId` digest.
   */
  tabToken: string
  intent: JoinIntent
}

/** The identity the server derived from the AdminJS session. */
export interface UserView {
  id: string
  name: string
  avatarUrl?: string
}

/** The lock as everyone on the record may see it. */
export interface LeaseView {
  user: UserView
  /** A public digest of the holder tab's token; a tab compares it with its own `tabId`. */
  tabId: string
  /** Grows with every grant of this record's lock: a newer grant of it always has a larger fence (fences of two records are not ordered). */
  fence: number
  /** When this holder got the lock (epoch ms, server clock). */
  sinceMs: number
  /** How long, from the moment the server sent this, the lease lasts without renewal. */
  expiresInMs: number
  /** How long the holder had been inactive when the server sent this (see `HolderActivityEvent`). */
  idleMs: number
  /** Whether the holder's page has input it has not saved, as it last reported. */
  unsaved: boolean
}

/**
 * What the holder's page last reported (`lock:activity`), told to the record's room when it is
 * news: whether it has unsaved input changed, or the last activity the room heard of is
 * `HOLDER_ACTIVITY_REFRESH_MS` old. So a page that has not heard for longer than
 * `HOLDER_IDLE_SHOWN_MS` may show the holder as idle, counting from `idleMs` at receipt.
 * Applies to the lease of `fence` only.
 */
export interface HolderActivityEvent extends RecordRef {
  fence: number
  idleMs: number
  unsaved: boolean
}

/** The room hears of an active holder at least this often (see `HolderActivityEvent`). */
export const HOLDER_ACTIVITY_REFRESH_MS = 30_000
/**
 * A holder without activity for this long shows as idle. Above the refresh plus the page's own
 * report interval (5 s), so an active holder never looks idle between two refreshes.
 */
export const HOLDER_IDLE_SHOWN_MS = 60_000

/** The holder's activity report: the record, and whether its page has unsaved input (absent: unchanged). */
export interface ActivityReport extends RecordRef {
  unsaved?: boolean
}

export interface JoinReply {
  /** This socket's own tab id, to compare with `LeaseView.tabId`. */
  tabId: string
  user: UserView
  /** False when the resource runs with `blockEditing: false`: nobody holds a lock. */
  locking: boolean
  lease: LeaseView | null
  /** Everyone on the record right now, this tab included, so a late joiner sees them all. */
  presence: PresenceUser[]
  /** The record's revision when `lease` was read (see `Revision`). */
  lockRevision: Revision
  /** The record's revision when `presence` was read. */
  presenceRevision: Revision
}

/**
 * Orders what the server says about one record. Each record has one counter in the store, raised by
 * every change of its lock or its presence (a grant, a release, a hand-over, a join, a leave);
 * every record-state message carries the counter as that state was read. A page applies a state
 * only when its revision is at least the last one it applied of that kind (`lock:state` against the
 * join reply's `lockRevision` and earlier `lock:state`s), never by arrival order, which differs
 * between processes. Equal revisions are the same state read twice (a lease that ran out changes
 * no counter), so they apply. Presence is ordered the same way, person by person (see
 * `PresenceChange`).
 */
export type Revision = number

/** One person on a record, however many tabs they have open there. */
export interface PresenceUser {
  user: UserView
  /** How many of their tabs are on the record. */
  tabs: number
  /** True when one of their tabs is on the edit page (the lock holder is told apart by the lease). */
  onEditPage: boolean
  /** When their first tab arrived (epoch ms, server clock). Users are listed in this order. */
  sinceMs: number
}

/**
 * Everyone on the record at `revision`: anyone not listed was gone by then. The join reply carries
 * one (`presence`, `presenceRevision`); `presence:state` sends one only when a change cannot be told
 * person by person (someone's entry expired because their server process died, the store came back
 * after an outage).
 */
export interface PresenceStateEvent extends RecordRef {
  users: PresenceUser[]
  revision: Revision
}

/**
 * One person's line as of `revision`: `person` as they are there now (their tabs counted again), or
 * null when their last tab left. A page keeps, per user id, what it heard at the highest revision
 * (from changes and full lists alike, in whatever order they arrive); at an equal revision the line
 * with fewer tabs is the later reading (only an expiry, which raises no counter, can tell two
 * readings of one revision apart), and null counts as none.
 */
export interface PresenceChange {
  userId: string
  person: PresenceUser | null
  revision: Revision
}

/** What changed in a record's presence: one message per record per server process and event-loop turn. */
export interface PresenceChangedEvent extends RecordRef {
  changes: PresenceChange[]
}

/** A viewer asked the editor to finish; sent to the editor's tab only. */
export interface AttentionRequestedEvent extends RecordRef {
  from: UserView
  /** The requesting tab: the editor may hand the lock over to it. */
  fromTabId: string
  atMs: number
}

export interface AttentionReply {
  /** When this user may ask again on this record. */
  retryInMs: number
}

export interface HandOverRequest extends RecordRef {
  /** A tab that asked for attention on this record (from `attention:requested`). */
  toTabId: string
}

/** A save of the record succeeded; only the server sends this, after the database write. */
export interface RecordSavedEvent extends RecordRef {
  by: UserView
  /** The record's version after the save (see `VERSION_PARAM`). */
  version: string
  atMs: number
  /**
   * Names of the params the save changed (flattened, as AdminJS keeps them: `tags.0`), sorted;
   * never values. Empty when it changed none or the save did not go through the write guard.
   */
  fields: string[]
}

export interface LockStateEvent extends RecordRef {
  lease: LeaseView | null
  revision: Revision
  /** Why the lock left its holder, when the server took it (idle release, take-over by policy). */
  cause?: LockChangeCause
}

/**
 * The server took the lock from a tab: `idle`, its holder was inactive for `idleTimeoutMs` plus
 * `idleWarningMs` (the lease is then null); `taken-over`, another user took it as `canTakeOver`
 * allowed (the lease is theirs). That tab should keep its input as a draft and become a viewer.
 */
export interface LockChangeCause {
  kind: 'idle' | 'taken-over'
  /** The tab that lost the lock. */
  fromTabId: string
}

/** To the holder's tab only: no activity for `idleTimeoutMs`; the lock goes in `releaseInMs` unless it reports some. */
export interface IdleWarningEvent extends RecordRef {
  releaseInMs: number
}

/** Whether this tab may take the lock from its holder now, as the server's `canTakeOver` policy says. */
export interface TakeOverAnswer {
  allowed: boolean
  /** The policy's own words for a refusal; absent: the page says when the holder was last active. */
  reason?: string
  /** The holder's last activity (epoch ms, server clock); null when the record is free. */
  lastActiveMs: number | null
  /** How long the holder had been inactive when the server answered (null when free): the page counts on from it. */
  idleMs: number | null
  /** Ask again after this long: the answer may change then (the default policy's idle time is reached). */
  retryInMs?: number
}

/**
 * `lock:queue`: join the record's line ("Notify me when free"), leave it, or only read it (a page
 * that starts waiting learns the line so; changes then come as `queue:state`). Only from an edit page.
 */
export interface QueueRequest extends RecordRef {
  action: 'join' | 'leave' | 'list'
}

/** One tab in a record's line, as everyone on the record may see it. */
export interface QueuedView {
  user: UserView
  /** The waiting tab's public digest (compare with `JoinReply.tabId`). */
  tabId: string
  /** Its place: 1 for the first. */
  position: number
  /** When it joined (epoch ms, server clock). */
  sinceMs: number
}

/**
 * A record's line ("Notify me when free"), first in line first, sent to its room whenever it
 * changes (join, leave, a turn starting or ending unused, the first getting the lock). Ordered by
 * `revision` like `lock:state`: a page applies it only when its revision is at least the last
 * applied one. When the record frees, only the first in line may claim it, for `turnEndsInMs`;
 * everyone else's claim is answered `queued`.
 */
export interface QueueStateEvent extends RecordRef {
  entries: QueuedView[]
  /** While the first's turn runs (the record is free): how long it lasts from the moment this was sent. */
  turnEndsInMs: number | null
  revision: Revision
}

/** `lock:queue`'s answer: the line, and this tab's place in it (null when not in line). */
export interface QueueReply extends QueueStateEvent {
  position: number | null
}

/**
 * A chat message on a record. `to` is null for the conversation with everyone on the record, or the
 * user id of the one recipient of a one-to-one message (only sender and recipient ever see it).
 */
export interface ChatMessage extends RecordRef {
  id: string
  from: UserView
  to: string | null
  text: string
  atMs: number
}

export interface ChatSendRequest extends RecordRef {
  /** null: everyone on the record; a user id: that person only (they must be on the record now). */
  to: string | null
  text: string
}

export interface ChatHistoryRequest extends RecordRef {
  /** null: the record's conversation; a user id: this user's one-to-one conversation with them. */
  with: string | null
}

/**
 * The server's own state, sent to each of its sockets when it changes, and once on connecting
 * while it is not the default (all well).
 */
export interface ServerStatusEvent {
  /**
   * False while the collaboration store (Redis) cannot be reached from this server: locks cannot
   * be checked or taken, and nobody else's changes arrive. The page should say it is offline.
   */
  storeAvailable: boolean
}

/** What a change did to a record (see `ChangeEvent`). */
export type ChangeKind = 'created' | 'updated' | 'deleted'

/**
 * One write made through the admin to a record of a resource with the feature (the write guard's
 * after side), told to every connected admin who may see that resource (AdminJS's `list` or
 * `show`), on every page. Writes outside the admin (the ORM, SQL) are not seen.
 */
export interface ChangeEvent extends RecordRef {
  /** Unique and growing in publication order across every process: pages order and de-duplicate by it. */
  id: string
  /** When it was written (epoch ms, the writing server's clock). */
  atMs: number
  kind: ChangeKind
  /** The record's title as AdminJS shows it (for a delete: as it was). */
  title: string
  /** The resource's name as AdminJS shows it. */
  resourceName: string
  by: UserView
  /** Names of the fields it changed (updated) or gave (created); empty for a delete. Never values. */
  fields: string[]
}

/** The newest changes this admin may see, newest first: `limit` of them, older than `before` (an id) when given. */
export interface FeedRecentRequest {
  limit: number
  before?: string
}

export interface FeedRecentReply {
  /** Who this admin is, as changes name people: their own changes are no news to them. */
  me: UserView
  changes: ChangeEvent[]
}

/**
 * A list page follows the rows it shows (one request for the whole page): who edits and who views
 * each. Asking again replaces what was watched; an empty `recordIds` stops.
 */
export interface ListWatchRequest {
  resourceId: string
  recordIds: string[]
}

/** One row's record as read: its lease and everyone on it, at the record's revision. */
export interface ListRowState extends RecordRef {
  lease: LeaseView | null
  presence: PresenceUser[]
  /**
   * The record's revision as the lease and as the presence were read (two reads, as a join reply's).
   * After the reply the page hears the record's `lock:state`, `lock:holder`, `presence:changed` and
   * `presence:state`, and merges them by revision as the record's own pages do.
   */
  lockRevision: Revision
  presenceRevision: Revision
}

export interface ListWatchReply {
  resourceId: string
  rows: ListRowState[]
}

/** Which locks the locks page watches: every one the admin may see, or only their own ("My locks"). */
export type LocksScope = 'all' | 'mine'

export interface LocksWatchRequest {
  scope: LocksScope
}

/** One record on the locks page: held (a holder), or only viewed (holder and its times null). */
export interface LockRow extends RecordRef {
  /** The record's title as AdminJS shows it; null when the record could not be read. */
  title: string | null
  /** The resource's name as AdminJS shows it. */
  resourceName: string
  holder: UserView | null
  fence: number | null
  /** When the holder got the lock (epoch ms, server clock). */
  sinceMs: number | null
  /** The holder's last activity (epoch ms, server clock): "idle for" is `atMs` - this. */
  lastActiveMs: number | null
  /** Whether the holder's page has unsaved input, as it last reported. */
  unsaved: boolean
  /** Everyone else on the record now. */
  viewers: UserView[]
  /** How many wait in the record's line. */
  queueLength: number
  /** Whether this admin may end the lock ("Release"): their own, or `canForceRelease` said so. */
  canRelease: boolean
}

/** What the locks page shows, as the server read it at `atMs` (its clock). */
export interface LocksSnapshot {
  scope: LocksScope
  rows: LockRow[]
  atMs: number
  /** Whether this admin sees every lock and the audit log (`canViewLocks`). */
  canViewAll: boolean
  /** Who this admin is (their own locks are "My locks"). */
  me: UserView
}

/** "Release" on the locks page: ends exactly the lease shown (its fence), nothing granted since. */
export interface LockReleaseRequest extends RecordRef {
  fence: number
}

export interface LockReleaseReply {
  /** False when the lease shown had ended already (or another was granted since). */
  released: boolean
}

/** The audit log as the locks page asks for it: newest first, filtered by record and/or user. */
export interface AuditListRequest {
  resourceId?: string
  recordId?: string
  userId?: string
  limit: number
  /** The last `id` of the previous page. */
  before?: string
}

export interface AuditEntryView extends RecordRef {
  id: string
  atMs: number
  kind: string
  user: UserView
  by?: UserView
  reason?: string
}

/**
 * A lease ended by someone other than its holder (an admin's "Release"), sent to the record's room
 * before the `lock:state` that frees it: the holder's page (the one whose lease has `fence`) stops
 * editing, keeps its input as a draft and says who ended it.
 */
export interface LockEndedEvent extends RecordRef {
  fence: number
  reason: 'force-released'
  by: UserView
}

export interface ClientToServerEvents {
  /** Be on a record (its rooms and presence); on an edit page this also claims its lock. */
  'record:join': (request: JoinRequest, ack: AckCallback<JoinReply>) => void
  /** Try to claim the lock again (after it was freed, or when its lease should have expired). */
  'lock:claim': (record: RecordRef, ack: AckCallback<LockStateEvent>) => void
  /**
   * Move the lock from another tab of the same user to this one, or from another user when the
   * `canTakeOver` policy allows it (refused `lock_held` otherwise, or when the lease changed since).
   */
  'lock:takeover': (record: RecordRef, ack: AckCallback<LockStateEvent>) => void
  /** The holder's tab reports activity (typing, pointer, focus in the form), throttled; others' reports count for nothing. */
  'lock:activity': (report: ActivityReport, ack: AckCallback<null>) => void
  /** May this tab take the lock over from its holder now (see `TakeOverAnswer`)? */
  'lock:takeover-policy': (record: RecordRef, ack: AckCallback<TakeOverAnswer>) => void
  /** Leave the record, releasing the lock if this tab holds it. */
  'record:leave': (record: RecordRef, ack: AckCallback<null>) => void
  /**
   * The page is going away (`pagehide`: the tab closes, reloads or leaves the admin), sent just
   * before its socket closes. A lock this tab holds then waits only `reloadGraceMs` for the same
   * tab to join again (a reload does), not the reconnect grace; a viewer's changes nothing. The
   * rooms and presence are left when the socket closes, as always.
   */
  'record:unload': (record: RecordRef, ack: AckCallback<null>) => void
  /** Joins or leaves the record's line ("Notify me when free"); only an edit page may. */
  'lock:queue': (request: QueueRequest, ack: AckCallback<QueueReply>) => void
  /** The holder gives the lock to a tab that asked for attention. */
  'lock:handover': (request: HandOverRequest, ack: AckCallback<LockStateEvent>) => void
  /** A viewer asks the editor to finish; refused with `rate_limited` (and retryInMs) too soon after the last. */
  'attention:request': (record: RecordRef, ack: AckCallback<AttentionReply>) => void
  /** Sends a chat message; the ack carries the stored message (with its id and server time). */
  'chat:send': (request: ChatSendRequest, ack: AckCallback<ChatMessage>) => void
  /** The recent messages of one conversation, oldest first. */
  'chat:history': (request: ChatHistoryRequest, ack: AckCallback<ChatMessage[]>) => void
  /** The locks page: the locks now, then `locks:snapshot` whenever they change, until `locks:unwatch`. */
  'locks:watch': (request: LocksWatchRequest, ack: AckCallback<LocksSnapshot>) => void
  'locks:unwatch': (request: Record<string, never>, ack: AckCallback<null>) => void
  /** Ends a lock from the locks page (one's own, or with `canForceRelease`). */
  'locks:release': (request: LockReleaseRequest, ack: AckCallback<LockReleaseReply>) => void
  /** The audit log, for admins who may see every lock (`canViewLocks`). */
  'audit:list': (request: AuditListRequest, ack: AckCallback<AuditEntryView[]>) => void
  /** A list page follows its rows' locks and presence (see `ListWatchRequest`). */
  'list:watch': (request: ListWatchRequest, ack: AckCallback<ListWatchReply>) => void
  /** The admin's change feed so far (the bell's panel on page load), filtered as `change:feed` is. */
  'feed:recent': (request: FeedRecentRequest, ack: AckCallback<FeedRecentReply>) => void
}

export interface ServerToClientEvents {
  /** The lock of a joined record changed hands (or became free). */
  'lock:state': (state: LockStateEvent) => void
  /** The line of a joined record changed (see `QueueStateEvent`). */
  'queue:state': (state: QueueStateEvent) => void
  /** To the holder's tab: it has been inactive for `idleTimeoutMs` (see `IdleWarningEvent`). */
  'lock:idle-warning': (event: IdleWarningEvent) => void
  /** The holder's activity and unsaved input, when that is news to the room (see `HolderActivityEvent`). */
  'lock:holder': (event: HolderActivityEvent) => void
  /** Who is on a joined record changed: the people whose line changed (see `PresenceChange`). */
  'presence:changed': (event: PresenceChangedEvent) => void
  /** Who is on a joined record, all of them (see `PresenceStateEvent` for when this is sent). */
  'presence:state': (state: PresenceStateEvent) => void
  /** To the editor's tab: a viewer asks them to finish. */
  'attention:requested': (event: AttentionRequestedEvent) => void
  /** The record was saved (by anyone, through the admin). */
  'record:saved': (event: RecordSavedEvent) => void
  /** A new chat message in a conversation this tab's user is part of. */
  'chat:message': (message: ChatMessage) => void
  /** The server's store went away or came back (see `ServerStatusEvent`). */
  'server:status': (status: ServerStatusEvent) => void
  /**
   * The socket's session ended (logout, expiry, the admin removed or changed): sent just before the
   * server closes the socket. Its leases are released at once; the page should keep the user's input.
   */
  'session:ended': (event: SessionEndedEvent) => void
  /** To a locks page that watches: the locks changed (the whole list, as `locks:watch` answered). */
  'locks:snapshot': (snapshot: LocksSnapshot) => void
  /** A record this admin may see was created, changed or deleted through the admin (see `ChangeEvent`). */
  'change:feed': (change: ChangeEvent) => void
  /** Someone else ended the record's lock (see `LockEndedEvent`). */
  'lock:ended': (event: LockEndedEvent) => void
}

export interface SessionEndedEvent {
  code: ErrorCode
  message: string
}

/**
 * Beside the socket path (`${socketPath}-status?origin=...`): why the server would refuse this
 * page's socket. A refused WebSocket upgrade tells the browser nothing, so the page asks here.
 */
export interface ConnectRefusalReply {
  /** null when a handshake from that origin with this page's cookies would be accepted. */
  code: ErrorCode | null
}

export function refusalProbePath(socketPath: string): string {
  return `${socketPath.replace(/\/+$/, '')}-status`
}

/**
 * The edit page adds its tab token to the submitted form params under this name, so the server's
 * save guard can tell the holder tab from the same user's other tab. The guard removes it before
 * the database adapter sees the params.
 */
export const TAB_TOKEN_PARAM = '__collaboratorTab'

/**
 * The record's version as the edit page loaded it: a digest of the record's stored values, added
 * by the server to the edit action's record params and submitted back with the form. A save whose
 * version differs from the stored record's current digest is stale and refused.
 */
export const VERSION_PARAM = '__collaboratorVersion'

/** The default socket path, below AdminJS's rootPath, used by server and client alike. */
/**
 * Where a page asks the admin for a connection token when the socket server runs apart from it
 * (the `socketUrl` option): GET, with the admin's session cookie; answers `SocketTokenReply`, or 401.
 */
export function socketTokenPath(adminRootPath: string): string {
  return `${adminRootPath.replace(/\/+$/, '')}/collaborator/token`
}

export interface SocketTokenReply {
  token: string
  expiresInMs: number
}

export function defaultSocketPath(adminRootPath: string): string {
  return `${adminRootPath.replace(/\/+$/, '')}/collaborator/socket.io`
}

/**
 * The one interface between the collaboration logic and where its state lives.
 * Handlers and the feature see only this; `MemoryStore` and `RedisStore` implement it, and one
 * contract suite (test/store-contract.test.ts) runs against both.
 *
 * Lock rules every implementation keeps (each operation is one atomic step):
 * - A lease belongs to one claimant: a tab token plus the user id it was granted to. A claim with
 *   the same token AND user id renews it (same fence); any other claim is denied while it lasts.
 *   Heartbeat, release, grace and hand-over check the same pair: a token alone proves nothing.
 * - Every grant (claim of a free record, or transfer) takes a new fence number, so the fences of one
 *   record strictly increase. Fences of different records are not ordered (on Redis each record
 *   has its counter, in its own Cluster slot; the memory store happens to share one): a fence is
 *   only ever compared with the same record's.
 * - A lease lives `ttlMs` from its last claim or heartbeat; then the record is free.
 * - A store that lost its data (Redis restarted empty) grants no free record to a new claimant for
 *   one lease TTL; holders from before may re-assert theirs (`ClaimOptions.reassert`) meanwhile.
 */

import type { ChatMessage, UserView } from '../protocol.js'

/**
 * The store could not be reached (Redis down, timed out, connection closed). Callers answer with
 * `store_unavailable` and keep the user's work; it is never a reason to crash or to grant a lock.
 */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`collaboration store unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.name = 'StoreUnavailableError'
  }
}

/**
 * The store lost its data (Redis came back empty) less than one lease TTL ago, so a free record may
 * still be edited by a holder from before who has not re-asserted yet: no new grant until then.
 * A kind of unavailability: callers that do not look closer answer `store_unavailable`.
 */
export class StoreRecoveringError extends StoreUnavailableError {
  constructor(readonly retryInMs: number) {
    super(new Error(`the store restarted without its data; new locks are granted again within ${retryInMs} ms`))
    this.name = 'StoreRecoveringError'
  }
}

/**
 * A re-assertion (`ClaimOptions.reassert`) refused: this lease did not run out, someone else ended
 * it (a forced or idle release, a hand-over, a take-over). The server renewing it should stop, and
 * tell nobody: whoever ended it told the record's room.
 */
export class LeaseEndedError extends Error {
  constructor() {
    super('this lease was ended by someone else; it is not re-asserted')
    this.name = 'LeaseEndedError'
  }
}

/**
 * A claim of a free record refused because others wait in its line first (see `QueueStore`), with
 * the claimant's place and whose turn it is. Thrown rather than answered, as `StoreRecoveringError`
 * is, so that a denied `ClaimResult` always names a holder; a transfer answers the same refusal as
 * `TransferResult.queued`. Not an unavailability: callers that do not look closer fail the request.
 */
export class QueueRefusedError extends Error {
  constructor(
    readonly refusal: QueueRefusal,
    /** The record's revision when the line was read (raised when the refusal started a turn or dropped someone). */
    readonly revision: Revision,
  ) {
    super(refusal.position === null ? `others wait for this record first (${refusal.length} in line)` : `this tab is number ${refusal.position} in line for this record`)
    this.name = 'QueueRefusedError'
  }
}

/**
 * Whose lease an operation is about: the tab's secret AND the user it was granted to. Every lease
 * operation checks both, so a token that leaked (it travels in every save's form body) is worth
 * nothing to another user.
 */
export interface Holder {
  token: string
  user: Pick<UserView, 'id'>
}

/**
 * Who asks for a lock: the tab's secret and the user, in the one identity shape the protocol uses
 * (`UserView`); the name and avatar are shown to others and stored with the lease.
 */
export interface Claimant extends Holder {
  user: UserView
}

export interface Lease extends Claimant {
  fence: number
  /** When this claimant was granted the lock (epoch ms). Unchanged by renewals. */
  sinceMs: number
  /** When the lease ends unless renewed (epoch ms, this process's clock). */
  expiresAtMs: number
  /**
   * The holder's last activity (epoch ms, the clock of whoever called `touch`): `sinceMs` until the
   * first `touch`, never earlier than an activity recorded before. Renewals do not change it.
   */
  lastActiveMs: number
  /** Whether the holder's page has input it has not saved, as its last `touch` said (false until one says so). */
  unsaved: boolean
}

/**
 * The record's revision (see `Revision` in src/protocol.ts) as a state was read or changed: one
 * counter per record, raised by every grant, release and transfer of its lock, every join and
 * leave of its presence (and a renewal that drops someone expired) and every change of its line
 * (`QueueStore`). A touch (activity) raises nothing. It never goes down, not even
 * across a store that lost its data.
 */
export type Revision = number

export type ClaimResult =
  /** `renewed`: the claimant already held the lease (same token and user). */
  | { granted: true; renewed: boolean; lease: Lease; revision: Revision }
  /** Denied: `lease` is the current holder's. */
  | { granted: false; lease: Lease; revision: Revision }

export interface ClaimOptions {
  /**
   * The server re-asserts a lease it held for this very claimant (same token and user) and found
   * gone. A store whose data was lost (Redis restarted empty) refuses new grants of free records for
   * one lease TTL (`StoreRecoveringError`), so that holders from before come back first; a
   * re-assertion passes, and so it does a record's line (`QueueStore`): its claimant held the
   * record. Only the server's lease keeper sets this, never a request from a browser.
   *
   * A lease that someone else ended (`forceRelease`, a `transfer` away from it) is not re-asserted:
   * the claim throws `LeaseEndedError`, for at least as long as the lease had left when it ended,
   * until the same token is granted the record again by an ordinary claim.
   */
  reassert?: boolean
}

/** Which holder a transfer may take the lock from. */
export type TransferCondition =
  /** The lock is free, or held by another tab of this same user (a "take over in this tab"). */
  | { kind: 'same-user' }
  /** The lock is held by exactly this tab of this user (a hand-over the holder agreed to). */
  | { kind: 'holder'; holder: Holder }
  /**
   * The lock is still exactly the lease the caller read and decided on (a take-over by policy: idle
   * too long, an admin's rule): the same tab and user, the same grant (fence) and no activity since
   * (`lastActiveMs`). A touch, a release, a new grant or hand-over in between make it refuse, so a
   * decision made on a stale read takes nothing. A `Lease` as read can be passed as it is.
   */
  | { kind: 'unchanged'; lease: ExpectedLease }

/** What a take-over by policy compares: the lease as the policy read it. */
export type ExpectedLease = Holder & Pick<Lease, 'fence' | 'lastActiveMs'>

export type TransferResult =
  | { transferred: true; lease: Lease; revision: Revision }
  /** `queued`: a 'same-user' transfer of a free record refused because others wait in its line first. */
  | { transferred: false; lease: Lease | null; queued?: QueueRefusal; revision: Revision }

export interface ReleaseResult {
  released: boolean
  revision: Revision
}

/** Which lease a forced release may end; each field given must match. None: whatever lease there is. */
export interface ForceReleaseExpectation {
  token?: string
  fence?: number
}

/**
 * `lease`: the lease that was ended when `released`, else the current one (null when the record is
 * free), so the caller can say whose lock it was, or why nothing happened.
 */
export interface ForceReleaseResult {
  released: boolean
  lease: Lease | null
  revision: Revision
}

/** A lease as read, with the record's revision at that moment. */
export interface LockSnapshot {
  lease: Lease | null
  revision: Revision
}

/** A held record as `LockStore.list` reports it. */
export interface ListedLease {
  recordKey: string
  lease: Lease
}

/** Everyone on a record as read or changed, with the record's revision at that moment. */
export interface PresenceSnapshot {
  entries: PresenceEntry[]
  revision: Revision
}

/** A join or leave: everyone there after it, and how many expired entries it dropped on the way. */
export interface PresenceUpdate extends PresenceSnapshot {
  /**
   * Entries of others that had expired and this operation removed: when not 0, the list changed
   * by more than the caller's own entry, and whoever announces the change must say so.
   */
  expired: number
}

export interface LockStore {
  /**
   * Grants a free record, renews the claimant's own lease, or reports the current holder. Throws
   * `StoreRecoveringError` instead of granting a free record in the restart-quiet period, and
   * `QueueRefusedError` when others wait in the record's line before the claimant.
   */
  claim(recordKey: string, claimant: Claimant, ttlMs: number, options?: ClaimOptions): Promise<ClaimResult>
  /** Extends the lease if `holder` still holds it; null when it does not (lost or expired). */
  heartbeat(recordKey: string, holder: Holder, ttlMs: number): Promise<Lease | null>
  /** Frees the record if `holder` holds it; false (and nothing changes) otherwise. */
  release(recordKey: string, holder: Holder): Promise<ReleaseResult>
  /**
   * Frees the record whoever holds it (an admin's "Release"), or only the lease `expected` names
   * (token and/or fence, as the admin saw it): a lease granted since is left alone. Raises the
   * revision like any release. Who may do this is the caller's decision; the store checks nothing else.
   */
  forceRelease(recordKey: string, expected?: ForceReleaseExpectation): Promise<ForceReleaseResult>
  /**
   * Shortens the lease of `holder` to end `graceMs` from now (its connection dropped). The same
   * claimant may renew it by claiming within that time; otherwise the record frees itself.
   */
  expireIn(recordKey: string, holder: Holder, graceMs: number): Promise<boolean>
  /**
   * Records activity of `holder` at `atMs` (a later time than the one recorded moves
   * `lastActiveMs`, an earlier one changes nothing) and, when given, whether its page has unsaved
   * input (`unsaved`, as the latest report says: a late one may set it back, which a page's next
   * report mends). Returns the lease after it; null, and nothing changes, when `holder` does not
   * hold the lease. Not a change of who holds the record: no revision is raised, no deadline moves.
   */
  touch(recordKey: string, holder: Holder, atMs: number, unsaved?: boolean): Promise<Lease | null>
  /** Gives the lock to `to` if `condition` holds, with a new fence. */
  transfer(recordKey: string, condition: TransferCondition, to: Claimant, ttlMs: number): Promise<TransferResult>
  /** The current lease, or null when the record is free. */
  get(recordKey: string): Promise<Lease | null>
  /** The current lease (or null) and the record's revision, in one step. */
  read(recordKey: string): Promise<LockSnapshot>
  /**
   * `read` of many records in one call to the store (one round trip on Redis: a list page of 100
   * rows is one query, not 100), in the order given. Each record is read as one step on its own.
   */
  readMany(recordKeys: string[]): Promise<LockSnapshot[]>
  /**
   * Every record held now, across every process, oldest grant first (then by record key). Read from
   * an index the lock operations keep, never by scanning the store; leases that ended are left out.
   * Not one atomic step: each lease is read as it is at that moment.
   */
  list(): Promise<ListedLease[]>
  /** The records held now by any tab of `userId`, as `list` reports them. */
  listFor(userId: string): Promise<ListedLease[]>
}

/** One connection on a record. Entries expire unless renewed, so a dead process's users vanish. */
export interface PresenceEntry {
  /** The connection (Socket.IO socket id): unique across processes. */
  id: string
  user: UserView
  tabId: string
  intent: 'edit' | 'show'
  sinceMs: number
}

export interface PresenceStore {
  /** Adds (or refreshes) the entry for `ttlMs`; returns everyone present, expired entries dropped (and counted). */
  join(recordKey: string, entry: PresenceEntry, ttlMs: number): Promise<PresenceUpdate>
  /** Removes the entry; returns everyone left, expired entries dropped (and counted). */
  leave(recordKey: string, entryId: string): Promise<PresenceUpdate>
  /**
   * Extends these entries by `ttlMs` (entries not present are not re-added) and drops expired
   * ones; returns true when that dropped anyone, i.e. the list others see changed.
   */
  renew(recordKey: string, entryIds: string[], ttlMs: number): Promise<boolean>
  /**
   * Everyone present, in arrival order. Expired entries are left out but not removed: only an
   * operation that reports the removal (join, leave, renew) removes them, so none goes unannounced.
   */
  list(recordKey: string): Promise<PresenceSnapshot>
  /** `list` of many records in one call to the store (one round trip on Redis), in the order given. */
  listMany(recordKeys: string[]): Promise<PresenceSnapshot[]>
  /**
   * Says these records have presence on the caller's process, for `ttlMs` (renewed as presence is):
   * the index the locks page lists viewed records from, across processes. A hint kept apart from
   * the entries (one command on one key, never on the join's own script): `indexed` may name a
   * record whose people have left since, never misses one indexed within its ttl.
   */
  index(recordKeys: string[], ttlMs: number): Promise<void>
  /** Every record indexed within its ttl (see `index`), in no particular order; callers read each one's presence. */
  indexed(): Promise<string[]>
}

/** A tab waiting for a record's lock ("notify me when it is free"): its token and user, as a claimant. */
export interface QueueEntry extends Claimant {
  /** When it joined the line (epoch ms, the caller's clock): shown; the store orders by arrival. */
  sinceMs: number
}

export interface QueuedEntry extends QueueEntry {
  /** Its place in line: 1 for the first. */
  position: number
  /** When the entry ends unless renewed or joined again (epoch ms, this process's clock). */
  expiresAtMs: number
}

/** A record's line as read or changed, with the record's revision at that moment. */
export interface QueueSnapshot {
  /** In order, first in line first. */
  entries: QueuedEntry[]
  /**
   * When the turn of the first in line ends (epoch ms, this process's clock), while the record is
   * free and that turn runs; null otherwise.
   */
  turnEndsAtMs: number | null
  revision: Revision
}

/** Why a claim of a free record was refused: others wait in its line first. */
export interface QueueRefusal {
  /** The claimant's own place in line (1 = first), or null when it is not in line. */
  position: number | null
  /** How many wait. */
  length: number
  /** The first in line, whose turn it is. */
  first: QueuedEntry
  /** When that turn ends (epoch ms, this process's clock): then the next in line has theirs. */
  turnEndsAtMs: number
}

/**
 * A line per record of tabs waiting for its lock. Rules both stores keep, each operation one atomic
 * step, the claim's check of the line in the claim's own step:
 *
 * - Order is arrival at the store. Joining again (same token and user) refreshes the entry and keeps
 *   its place; a token in line for another user is refused (a token alone proves nothing).
 * - An entry lives `ttlMs` from its join or last renewal, then it is gone: a tab whose process died
 *   leaves the line as its presence does. The living processes renew their own tabs' entries.
 * - While the record is held, the line only waits. While it is free and the line is not empty, only
 *   the first in line may claim it (or a transfer 'same-user' take it): anyone else is refused with
 *   their place (`QueueRefusal`). Such a refusal starts the first's turn, of the `turnMs` it joined
 *   with, unless one runs; a turn that ends without the first claiming drops its entry (it had its
 *   turn), and the next in line is first. So neither a dead tab nor an absent user holds a free
 *   record for longer than a ttl or a turn.
 * - A re-assertion (`ClaimOptions.reassert`), a hand-over and a take-over by policy pass: the record
 *   is not free for them. Any grant takes the new holder out of the line and ends a running turn.
 * - Expired entries, and a first whose turn ended, are dropped by whichever operation next touches
 *   the line; joins, leaves and such drops raise the record's revision (a turn starting too).
 * - With nobody in line, claims and transfers behave as if there were no line.
 */
export interface QueueStore {
  /** Joins (or refreshes) for `ttlMs`; the first's turn, once it starts, lasts `turnMs`. */
  join(recordKey: string, entry: QueueEntry, ttlMs: number, turnMs: number): Promise<QueueSnapshot & { joined: boolean }>
  /** Leaves the line if `holder` (token and user) is in it; `left` false, and nothing changes, otherwise. */
  leave(recordKey: string, holder: Holder): Promise<QueueSnapshot & { left: boolean }>
  /**
   * Extends these entries by `ttlMs` (tokens not in line are not added) after settling the line;
   * true when settling dropped anyone, i.e. the line others see changed.
   */
  renew(recordKey: string, tokens: string[], ttlMs: number): Promise<boolean>
  /** The line in order, settled first. */
  list(recordKey: string): Promise<QueueSnapshot>
}

export interface AttentionStore {
  /**
   * A rate limit: starts an interval of `intervalMs` for `key` unless one runs. Returns 0 when
   * it started (the request may go), otherwise the ms left of the running interval. One atomic step.
   */
  throttle(key: string, intervalMs: number): Promise<number>
  /** Remembers a tab that asked for attention, so the holder can hand the lock over to it. */
  putCandidate(recordKey: string, tabId: string, claimant: Claimant, ttlMs: number): Promise<void>
  /** Reads and forgets that tab's candidacy in one step; null when absent or expired. */
  takeCandidate(recordKey: string, tabId: string): Promise<Claimant | null>
}

export interface SaveInfo {
  user: UserView
  atMs: number
  version: string
}

export interface SaveLog {
  /** Remembers the record's last save through the admin (who and which version), for `ttlMs`. */
  recordSave(recordKey: string, save: SaveInfo, ttlMs: number): Promise<void>
  lastSave(recordKey: string): Promise<SaveInfo | null>
}

/**
 * Entering a record's write section: in one step with the entry, the record's lease (who may write)
 * and how long the restart-quiet period still runs (0 when it does not), so the guard decides on
 * what held at the moment it entered.
 */
export type WriteEntry =
  | { entered: true; fence: number; lease: Lease | null; quietMs: number }
  /** Another writer is inside; it leaves, or its section ends, within `retryInMs`. */
  | { entered: false; retryInMs: number }

/**
 * A short mutual exclusion per record around "check the version, then write", across every process:
 * at most one writer is inside a record's section at a time. A section ends on `leave`, or by
 * itself `ttlMs` after it was entered, so a writer that crashed inside frees it. Each entry takes a
 * new fence, larger than the record's earlier ones: `leave` with an old fence (the section ended
 * and another writer entered) changes nothing.
 */
export interface WriteSections {
  enter(recordKey: string, ttlMs: number): Promise<WriteEntry>
  /** Leaves the section if `fence` still holds it; false when it had already ended. */
  leave(recordKey: string, fence: number): Promise<boolean>
}

export interface RateLimiter {
  /**
   * Counts one event for `key` in a fixed window of `windowMs`: 0 when it is within `limit`,
   * otherwise the ms until the window ends (and the event does not count). One atomic step.
   */
  hit(key: string, limit: number, windowMs: number): Promise<number>
}

/** A sender's rate limit, as `RateLimiter.hit` counts it: `limit` events per fixed window of `windowMs`. */
export interface Allowance {
  key: string
  limit: number
  windowMs: number
}

export interface ChatStore {
  /**
   * Counts the message against the sender's `allowance` and, within it, appends it to the
   * conversation, keeps the newest `keep` messages and lets the conversation expire `ttlMs` after
   * the last: 0 when appended, otherwise the ms until the window ends (nothing stored, nothing
   * counted). One atomic step, one round trip.
   */
  append(conversationKey: string, message: ChatMessage, keep: number, ttlMs: number, allowance: Allowance): Promise<number>
  /** The newest `limit` messages, oldest first. */
  history(conversationKey: string, limit: number): Promise<ChatMessage[]>
}

/** What the audit log records: every change of a lock's holder, and every save refused for one. */
export const AUDIT_KINDS = [
  'granted',
  'released',
  'expired',
  'idle-released',
  'handed-over',
  'taken-over',
  'force-released',
  'save-refused-held',
  'save-refused-stale',
  'queue-joined',
  'queue-left',
] as const

export type AuditKind = (typeof AUDIT_KINDS)[number]

export interface AuditEvent {
  /** When it happened (epoch ms, the caller's clock). */
  atMs: number
  kind: AuditKind
  recordKey: string
  resourceId: string
  recordId: string
  /** Whose lock or save the event is about (the holder released, the user whose save was refused). */
  user: UserView
  /** Who made it happen, when that is someone else (the admin who forced a release, who took over). */
  by?: UserView
  /** Why, in the caller's words or codes (a policy's name, a refusal's code). */
  reason?: string
}

/** An event as the log returns it, with its id in the log (opaque: only for `AuditQuery.before`). */
export interface AuditEntry extends AuditEvent {
  id: string
}

export interface AuditQuery {
  /** Only events of this record. */
  recordKey?: string
  /** Only events about this user, or made by them (`user` or `by`). */
  userId?: string
  /** At most this many, newest first. */
  limit: number
  /** Only events older than this entry (the last id of a previous page). */
  before?: string
}

/**
 * An append-only log of lock and save events, shared by every process, bounded: it keeps about the
 * newest `auditMaxEntries` (the store's option) and forgets older ones. Events are checked when
 * appended (a malformed one is refused with a TypeError, nothing stored) and when read.
 */
export interface AuditLog {
  /** Appends an event; resolves to its id. */
  append(event: AuditEvent): Promise<string>
  /** The newest events that match, newest first. */
  list(query: AuditQuery): Promise<AuditEntry[]>
}

/** A write made through the admin, as the change log keeps it (see `ChangeEvent` in src/protocol.ts). */
export interface ChangeRecord {
  atMs: number
  kind: 'created' | 'updated' | 'deleted'
  resourceId: string
  recordId: string
  title: string
  resourceName: string
  by: UserView
  /** Names only, never values. */
  fields: string[]
}

export interface ChangeEntry extends ChangeRecord {
  /** Grows with every append, across every process sharing the store. */
  id: string
}

export interface ChangeQuery {
  /** Only changes of these resources (what the reader may see). */
  resourceIds: string[]
  /** At most this many, newest first. */
  limit: number
  /** Only changes older than this entry (the last id of a previous page). */
  before?: string
}

/**
 * The recent writes made through the admin (the bell's panel reads them back), bounded like the
 * audit log: a Redis stream trimmed to about its newest `changeLogMaxEntries`, or a ring in memory.
 * Telling connected admins is the socket server's, not the log's.
 */
export interface ChangeLog {
  append(change: ChangeRecord): Promise<string>
  recent(query: ChangeQuery): Promise<ChangeEntry[]>
}

/** Ids of connection tokens used once (a separate socket tier's tokens: each opens one connection). */
export interface TokenLedger {
  /** True the first time `tokenId` is spent (within `ttlMs`, its remaining validity); false after, on every process. */
  spend(tokenId: string, ttlMs: number): Promise<boolean>
}

export interface Store {
  readonly kind: 'memory' | 'redis'
  readonly locks: LockStore
  readonly presence: PresenceStore
  readonly queue: QueueStore
  readonly attention: AttentionStore
  readonly saves: SaveLog
  readonly writes: WriteSections
  readonly chat: ChatStore
  readonly limits: RateLimiter
  readonly audit: AuditLog
  readonly changes: ChangeLog
  readonly tokens: TokenLedger
  /** Resolves once the store can serve requests (Redis: first connection made). */
  ready(): Promise<void>
  /** Stops timers and connections this store opened. */
  close(): Promise<void>
}

/**
 * State in Redis, shared by every process of the admin. The only module that imports ioredis.
 *
 * Lock commands fail fast when Redis is away instead of queueing: a claim answered seconds late
 * could grant a lock its caller has stopped waiting for. So there is no offline queue, no retry
 * of a command, and a command timeout; the connection itself keeps retrying with exponential
 * back-off, and `isAvailable()` / the 'status' event tell the rest of the package how it goes.
 *
 * Every deadline is kept on Redis's clock, so processes whose clocks disagree still agree on it:
 * keys end by PEXPIRE / SET PX, presence entries by scores the scripts compute from TIME. Callers'
 * clocks only stamp times that are shown (a lease's `sinceMs`) and read back remaining ms (PTTL).
 */
import { EventEmitter } from 'node:events'
import { Cluster, Redis, ReplyError, type ClusterOptions, type RedisOptions } from 'ioredis'
import { QuietPeriods } from './quiet-periods.js'
import { configErrors } from '../errors.js'
import type { ChatMessage } from '../protocol.js'
import type { RedisConnectionOptions } from '../options.js'
import { AUDIT_MAX_ENTRIES, checkedAuditEvent } from './audit-rules.js'
import { CHANGE_LOG_MAX_ENTRIES, checkedChange } from './change-rules.js'
import { redisKeys } from './keys.js'
import { byGrant } from './lock-rules.js'
import { replies, scripts, stored, type ScriptName } from './redis-scripts.js'
import {
  type Allowance,
  StoreUnavailableError,
  type AttentionStore,
  type AuditEntry,
  type AuditEvent,
  type AuditLog,
  type AuditQuery,
  type ChangeEntry,
  type ChangeLog,
  type ChangeQuery,
  type ChangeRecord,
  type TokenLedger,
  type ChatStore,
  type Claimant,
  type ClaimOptions,
  type ClaimResult,
  type ForceReleaseExpectation,
  type ForceReleaseResult,
  type ListedLease,
  type Lease,
  type LockStore,
  type PresenceEntry,
  type PresenceStore,
  type QueueEntry,
  type QueueSnapshot,
  type QueueStore,
  type RateLimiter,
  type SaveInfo,
  type SaveLog,
  type Holder,
  type LockSnapshot,
  type PresenceSnapshot,
  type PresenceUpdate,
  type ReleaseResult,
  type Store,
  type TransferCondition,
  type TransferResult,
  type WriteEntry,
  type WriteSections,
} from './store.js'

export interface RedisStoreOptions {
  /**
   * A `redis://` URL; a list of `redis://` URLs of Redis Cluster nodes (one is enough to find the
   * others); or an ioredis client, `Redis` or `Cluster`: it is duplicated, never used or closed by us.
   */
  redis: string | string[] | object
  /** Prefix of every key this store writes. */
  keyPrefix: string
  connection: Required<RedisConnectionOptions>
  /**
   * How many audit events the log keeps, about (the stream is trimmed with MAXLEN ~).
   * @default 10000
   */
  auditMaxEntries?: number
  /**
   * How many changes made through the admin the change log keeps, about (MAXLEN ~, as the audit log).
   * @default 1000
   */
  changeLogMaxEntries?: number
  /**
   * After reconnecting to another Redis server than before (its run_id changed: restarted, failed
   * over), possibly without the leases it held, new grants of free records wait this long so the
   * holders from before re-assert theirs first. Give it the lock TTL (Collaboration does).
   * @default 0 (no quiet period)
   */
  restartQuietMs?: number
}

/** The client once `defineCommand` has added the scripts: keys first, then arguments. */
type ScriptClient = (Redis | Cluster) & Record<ScriptName, (...keysThenArgs: Array<string | number>) => Promise<unknown>>

/** Runs one script; every failure of the call comes out as StoreUnavailableError. */
type RunScript = (name: ScriptName, ...keysThenArgs: Array<string | number>) => Promise<unknown>

/** One script call of a batch: its name, then its keys and arguments. */
type ScriptCall = [name: ScriptName, ...keysThenArgs: Array<string | number>]

/**
 * Runs many scripts in one round trip (a pipeline: each script is one atomic step of its own;
 * others' commands may run between two of them), their replies in order. A failure of any call
 * comes out as StoreUnavailableError, as `RunScript`'s.
 */
type RunScripts = (calls: ScriptCall[]) => Promise<unknown[]>

type Keys = ReturnType<typeof redisKeys>

function isRedisClient(value: object): value is Redis {
  return typeof (value as { duplicate?: unknown }).duplicate === 'function'
}

/** ioredis marks its Cluster client (`isCluster`); a Cluster from another copy of ioredis counts too. */
function isClusterClient(value: object): value is Cluster {
  return value instanceof Cluster || (value as { isCluster?: unknown }).isCluster === true
}

/**
 * How often a Cluster client asks for the slot map again by itself. ioredis refreshes it on MOVED,
 * CLUSTERDOWN, or a connection closing while ready, but not when a node refuses connections: a
 * refresh that came in the seconds before a dead master's replica was promoted leaves every command
 * of those slots aimed at the dead address, with nothing to ask again (faults-cluster saw the holder
 * unable to renew for 20 s in about one run in ten). With this, within a couple of seconds.
 */
const SLOTS_REFRESH_MS = 2000

/**
 * A Cluster's own options: the same fail-fast rules as a single connection (no offline queue, the
 * reconnection back-off), with the per-node settings in `redisOptions`. A node's connection does not
 * retry by itself: the Cluster reconnects (clusterRetryStrategy) and refreshes its slots, also every
 * SLOTS_REFRESH_MS (the duplicates for the broadcasts inherit it).
 */
function clusterOptions(connection: Required<RedisConnectionOptions>, nodeOptions: RedisOptions): ClusterOptions {
  const { retryStrategy, lazyConnect: _lazy, ...redisOptions } = { ...nodeOptions, ...connectionOptions(connection) }
  return {
    enableOfflineQueue: false,
    enableReadyCheck: true,
    lazyConnect: false,
    clusterRetryStrategy: retryStrategy as (attempt: number) => number,
    slotsRefreshTimeout: connection.connectTimeoutMs,
    slotsRefreshInterval: SLOTS_REFRESH_MS,
    redisOptions,
  }
}

/** Startup nodes and shared node options (password, TLS) of a list of `redis://` URLs. */
function clusterNodes(urls: string[]): { nodes: Array<{ host: string; port: number }>; nodeOptions: RedisOptions } {
  const parsed = urls.map((url) => new URL(url))
  const nodes = parsed.map((url) => ({ host: url.hostname, port: url.port === '' ? 6379 : Number(url.port) }))
  const first = parsed[0]!
  const nodeOptions: RedisOptions = {}
  if (first.username !== '') nodeOptions.username = decodeURIComponent(first.username)
  if (first.password !== '') nodeOptions.password = decodeURIComponent(first.password)
  if (first.protocol === 'rediss:') nodeOptions.tls = {}
  return { nodes, nodeOptions }
}

/**
 * Lua's PEXPIRE wants whole milliseconds (and LTRIM / LRANGE whole counts, which go through here
 * too); a fraction or a negative would be a Redis error mid-script, or a wrong range.
 */
function wholeMs(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`)
  return value
}

function connectionOptions(connection: Required<RedisConnectionOptions>): RedisOptions {
  return {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: connection.commandTimeoutMs,
    connectTimeout: connection.connectTimeoutMs,
    // Closing a connection that is down still arms a timer to destroy its (long dead) socket,
    // 2 s by default: long enough to hold up a process that is trying to exit.
    disconnectTimeout: 200,
    retryStrategy: (attempt: number) => Math.min(connection.retryDelayMs * 2 ** (attempt - 1), connection.maxRetryDelayMs),
  }
}

/**
 * Connections for Socket.IO's adapter, which must not lose a broadcast to a short disconnection:
 * unlike the store's commands (which fail fast, so a lock is never granted late), a broadcast made
 * while the connection is re-established waits in the offline queue and goes out after it, and a
 * command in flight when the connection dropped is sent again. Only an outage of over a minute
 * (maxRetriesPerRequest reconnection attempts at the capped back-off) drops what waits. No command
 * timeout: the adapter's readers block in XREAD for seconds by design. (Queueing also keeps those
 * readers from spinning: they retry a failed XREAD at once, which without a queue fails at once.)
 */
const broadcastOptions: Partial<RedisOptions> = {
  enableOfflineQueue: true,
  maxRetriesPerRequest: 20,
  autoResendUnfulfilledCommands: true,
  commandTimeout: undefined,
}

/** ARGV[1..5] of lockTransfer: the condition, then the expected holder, fence and activity where it has them. */
function transferConditionArgs(condition: TransferCondition): [string, string, string, string | number, string | number] {
  switch (condition.kind) {
    case 'same-user':
      return ['same-user', '', '', '', '']
    case 'holder':
      return ['holder', condition.holder.token, condition.holder.user.id, '', '']
    case 'unchanged': {
      const { token, user, fence, lastActiveMs } = condition.lease
      return ['unchanged', token, user.id, wholeMs('fence', fence, 0), wholeMs('lastActiveMs', lastActiveMs, 0)]
    }
  }
}

/** Index changes per lockIndex-1 call at most: a call stays short for Redis however many leases a tick renews. */
const INDEX_BATCH = 200
/** How long renewals wait to go to the index together (their deadlines are a lease TTL away). */
const INDEX_DELAY_MS = 50

class RedisLockStore implements LockStore {
  constructor(
    private readonly run: RunScript,
    private readonly keys: Keys,
    private readonly runMany: RunScripts,
    /** What is left of this process's restart-quiet period for a record (RedisStore.quiet), passed to its scripts. */
    private readonly quietMs: (recordKey: string) => number,
  ) {}

  /** Index changes not sent yet (lockIndex-1's ARGV: op, record key, ttl), in the order they happened. */
  private pendingIndex: Array<string | number> = []
  private indexScheduled = false

  /**
   * The index of held records follows a lease the script just changed: a command of its own, after
   * it (on a Cluster the index is in another slot than the record). Not awaited: the caller has its
   * answer after one round trip, as before. A grant or an end (`now`) is sent at once, so another
   * process listing after the caller had its answer sees it (its call reaches Redis first). A
   * renewal only moves a deadline: renewals wait up to INDEX_DELAY_MS and go in one call (a timer
   * tick's heartbeats together), or with the next grant or end, in the order they happened, or
   * before a listing of this process's. The index is a hint, so a
   * failure here does not undo or hide what the script did: the next renewal, or the lease's end,
   * puts it right, and a listing reads every lease anyway.
   */
  private index(recordKey: string, ttlMs: number | null, now: boolean): void {
    this.pendingIndex.push(...(ttlMs === null ? ['del', recordKey, 0] : ['set', recordKey, ttlMs]))
    if (now || this.pendingIndex.length >= 3 * INDEX_BATCH) this.flushIndex()
    else if (!this.indexScheduled) {
      this.indexScheduled = true
      setTimeout(() => this.flushIndex(), INDEX_DELAY_MS).unref()
    }
  }

  private flushIndex(): void {
    this.indexScheduled = false
    if (this.pendingIndex.length === 0) return
    const changes = this.pendingIndex
    this.pendingIndex = []
    this.run('lockIndex', this.keys.lockIndex(), ...changes).catch(() => undefined)
  }

  /** The record's keys that a claim and a transfer take, in their order (lockClaim-8, lockTransfer-8). */
  private grantKeys(recordKey: string): string[] {
    return [this.keys.lock(recordKey), this.keys.fence(recordKey), this.keys.revision(recordKey), ...this.keys.queue(recordKey), this.keys.lockEnded(recordKey)]
  }

  async claim(recordKey: string, claimant: Claimant, ttlMs: number, options?: ClaimOptions): Promise<ClaimResult> {
    const reply = await this.run(
      'lockClaim',
      ...this.grantKeys(recordKey),
      claimant.token,
      claimant.user.id,
      claimant.user.name,
      claimant.user.avatarUrl ?? '',
      wholeMs('ttlMs', ttlMs, 1),
      Date.now(),
      options?.reassert ? '1' : '0',
      this.quietMs(recordKey),
    )
    const result = replies.claim(reply)
    if (result.granted) this.index(recordKey, ttlMs, !result.renewed)
    return result
  }

  async heartbeat(recordKey: string, holder: Holder, ttlMs: number): Promise<Lease | null> {
    const lease = replies.lease(await this.run('lockHeartbeat', this.keys.lock(recordKey), holder.token, holder.user.id, wholeMs('ttlMs', ttlMs, 1)))
    if (lease) this.index(recordKey, ttlMs, false)
    return lease
  }

  async release(recordKey: string, holder: Holder): Promise<ReleaseResult> {
    const result = replies.release(await this.run('lockRelease', this.keys.lock(recordKey), this.keys.revision(recordKey), holder.token, holder.user.id))
    if (result.released) this.index(recordKey, null, true)
    return result
  }

  async expireIn(recordKey: string, holder: Holder, graceMs: number): Promise<boolean> {
    const done = replies.done(await this.run('lockExpireIn', this.keys.lock(recordKey), holder.token, holder.user.id, wholeMs('graceMs', graceMs, 0)))
    if (done) this.index(recordKey, graceMs > 0 ? graceMs : null, graceMs === 0)
    return done
  }

  async touch(recordKey: string, holder: Holder, atMs: number, unsaved?: boolean): Promise<Lease | null> {
    const flag = unsaved === undefined ? '' : unsaved ? '1' : '0'
    return replies.lease(await this.run('lockTouch', this.keys.lock(recordKey), holder.token, holder.user.id, wholeMs('atMs', atMs, 0), flag))
  }

  async transfer(recordKey: string, condition: TransferCondition, to: Claimant, ttlMs: number): Promise<TransferResult> {
    const reply = await this.run(
      'lockTransfer',
      ...this.grantKeys(recordKey),
      ...transferConditionArgs(condition),
      to.token,
      to.user.id,
      to.user.name,
      to.user.avatarUrl ?? '',
      wholeMs('ttlMs', ttlMs, 1),
      Date.now(),
      this.quietMs(recordKey),
    )
    const result = replies.transfer(reply)
    if (result.transferred) this.index(recordKey, ttlMs, true)
    return result
  }

  async forceRelease(recordKey: string, expected?: ForceReleaseExpectation): Promise<ForceReleaseResult> {
    const fence = expected?.fence === undefined ? '' : wholeMs('fence', expected.fence, 0)
    const reply = await this.run('lockForceRelease', this.keys.lock(recordKey), this.keys.revision(recordKey), this.keys.lockEnded(recordKey), expected?.token ?? '', fence)
    const result = replies.forceRelease(reply)
    if (result.released) this.index(recordKey, null, true)
    return result
  }

  async get(recordKey: string): Promise<Lease | null> {
    return (await this.read(recordKey)).lease
  }

  async read(recordKey: string): Promise<LockSnapshot> {
    return replies.snapshot(await this.run('lockGet', this.keys.lock(recordKey), this.keys.revision(recordKey)))
  }

  async readMany(recordKeys: string[]): Promise<LockSnapshot[]> {
    const replied = await this.runMany(recordKeys.map((recordKey): ScriptCall => ['lockGet', this.keys.lock(recordKey), this.keys.revision(recordKey)]))
    return replied.map((reply) => replies.snapshot(reply))
  }

  /** The index names the records; each lease is then read on its own (one slot each, on a Cluster too). */
  async list(): Promise<ListedLease[]> {
    this.flushIndex()
    const recordKeys = replies.recordKeys(await this.run('lockList', this.keys.lockIndex()))
    const leases = await Promise.all(recordKeys.map(async (recordKey) => ({ recordKey, lease: await this.get(recordKey) })))
    return leases.filter((listed): listed is ListedLease => listed.lease !== null).sort(byGrant)
  }

  async listFor(userId: string): Promise<ListedLease[]> {
    return (await this.list()).filter((listed) => listed.lease.user.id === userId)
  }
}

/** Presence rules: presence-rules.ts. Each operation is one script on the record's two keys. */
class RedisPresenceStore implements PresenceStore {
  constructor(
    private readonly run: RunScript,
    private readonly keys: Keys,
    private readonly runMany: RunScripts,
  ) {}

  async join(recordKey: string, entry: PresenceEntry, ttlMs: number): Promise<PresenceUpdate> {
    const reply = await this.run(
      'presenceJoin',
      this.keys.presence(recordKey),
      this.keys.presenceData(recordKey),
      this.keys.revision(recordKey),
      entry.id,
      stored.presenceEntry(entry),
      wholeMs('ttlMs', ttlMs, 1),
    )
    return replies.presenceUpdate(reply)
  }

  async leave(recordKey: string, entryId: string): Promise<PresenceUpdate> {
    return replies.presenceUpdate(await this.run('presenceLeave', this.keys.presence(recordKey), this.keys.presenceData(recordKey), this.keys.revision(recordKey), entryId))
  }

  async renew(recordKey: string, entryIds: string[], ttlMs: number): Promise<boolean> {
    const reply = await this.run(
      'presenceRenew',
      this.keys.presence(recordKey),
      this.keys.presenceData(recordKey),
      this.keys.revision(recordKey),
      wholeMs('ttlMs', ttlMs, 1),
      ...entryIds,
    )
    return replies.done(reply)
  }

  async list(recordKey: string): Promise<PresenceSnapshot> {
    return replies.presence(await this.run('presenceList', this.keys.presence(recordKey), this.keys.presenceData(recordKey), this.keys.revision(recordKey)))
  }

  async listMany(recordKeys: string[]): Promise<PresenceSnapshot[]> {
    const replied = await this.runMany(
      recordKeys.map((recordKey): ScriptCall => ['presenceList', this.keys.presence(recordKey), this.keys.presenceData(recordKey), this.keys.revision(recordKey)]),
    )
    return replied.map((reply) => replies.presence(reply))
  }

  async index(recordKeys: string[], ttlMs: number): Promise<void> {
    if (recordKeys.length === 0) return
    await this.run('presenceIndex', this.keys.presenceIndex(), wholeMs('ttlMs', ttlMs, 1), ...recordKeys)
  }

  async indexed(): Promise<string[]> {
    return replies.recordKeys(await this.run('presenceIndexed', this.keys.presenceIndex()))
  }
}

/** Queue rules: store.ts (`QueueStore`), include/queue.lua. Each operation is one script on the record's line. */
class RedisQueueStore implements QueueStore {
  constructor(
    private readonly run: RunScript,
    private readonly keys: Keys,
  ) {}

  /** The line's keys, then the lease (is the record free?) and the revision counter. */
  private lineKeys(recordKey: string): string[] {
    return [...this.keys.queue(recordKey), this.keys.lock(recordKey), this.keys.revision(recordKey)]
  }

  async join(recordKey: string, entry: QueueEntry, ttlMs: number, turnMs: number): Promise<QueueSnapshot & { joined: boolean }> {
    const reply = await this.run(
      'queueJoin',
      ...this.lineKeys(recordKey),
      entry.token,
      entry.user.id,
      stored.queueEntry(entry, wholeMs('turnMs', turnMs, 1)),
      wholeMs('ttlMs', ttlMs, 1),
    )
    const { entries, turnEndsAtMs, revision, joined } = replies.queue(reply)
    return { entries, turnEndsAtMs, revision, joined }
  }

  async leave(recordKey: string, holder: Holder): Promise<QueueSnapshot & { left: boolean }> {
    const { entries, turnEndsAtMs, revision, left } = replies.queue(await this.run('queueLeave', ...this.lineKeys(recordKey), holder.token, holder.user.id))
    return { entries, turnEndsAtMs, revision, left }
  }

  async renew(recordKey: string, tokens: string[], ttlMs: number): Promise<boolean> {
    return replies.done(await this.run('queueRenew', ...this.lineKeys(recordKey), wholeMs('ttlMs', ttlMs, 1), ...tokens))
  }

  async list(recordKey: string): Promise<QueueSnapshot> {
    const { entries, turnEndsAtMs, revision } = replies.queue(await this.run('queueList', ...this.lineKeys(recordKey)))
    return { entries, turnEndsAtMs, revision }
  }
}

class RedisAttentionStore implements AttentionStore {
  constructor(
    private readonly run: RunScript,
    private readonly keys: Keys,
  ) {}

  async throttle(key: string, intervalMs: number): Promise<number> {
    return replies.msLeft(await this.run('attentionThrottle', this.keys.throttle(key), wholeMs('intervalMs', intervalMs, 1)))
  }

  async putCandidate(recordKey: string, tabId: string, claimant: Claimant, ttlMs: number): Promise<void> {
    const reply = await this.run('attentionPutCandidate', this.keys.candidate(recordKey, tabId), stored.claimant(claimant), wholeMs('ttlMs', ttlMs, 1))
    replies.written(reply)
  }

  async takeCandidate(recordKey: string, tabId: string): Promise<Claimant | null> {
    return replies.candidate(await this.run('attentionTakeCandidate', this.keys.candidate(recordKey, tabId)))
  }
}

class RedisSaveLog implements SaveLog {
  constructor(
    private readonly run: RunScript,
    private readonly keys: Keys,
  ) {}

  async recordSave(recordKey: string, save: SaveInfo, ttlMs: number): Promise<void> {
    replies.written(await this.run('saveRecord', this.keys.save(recordKey), stored.save(save), wholeMs('ttlMs', ttlMs, 1)))
  }

  async lastSave(recordKey: string): Promise<SaveInfo | null> {
    return replies.save(await this.run('saveLast', this.keys.save(recordKey)))
  }
}

/** Enter and leave are one script each; entering reads the lease in the same step, and passes back the quiet period. */
class RedisWriteSections implements WriteSections {
  constructor(
    private readonly run: RunScript,
    private readonly keys: Keys,
    private readonly quietMs: (recordKey: string) => number,
  ) {}

  async enter(recordKey: string, ttlMs: number): Promise<WriteEntry> {
    const reply = await this.run(
      'writeEnter',
      this.keys.writeSection(recordKey),
      this.keys.writeFence(recordKey),
      this.keys.lock(recordKey),
      wholeMs('ttlMs', ttlMs, 1),
      Date.now(),
      this.quietMs(recordKey),
    )
    return replies.writeEntry(reply)
  }

  async leave(recordKey: string, fence: number): Promise<boolean> {
    return replies.done(await this.run('writeLeave', this.keys.writeSection(recordKey), fence))
  }
}

/**
 * Each conversation is one list, appended and trimmed by one script. The sender's allowance is
 * counted in the same script on a single Redis (chatPost-2); on a Cluster it is in another slot,
 * so it is counted first (limitHit-1) and the message appended after (chatAppend-1): a failure in
 * between costs the sender one message of the allowance, never a message stored beyond it.
 */
class RedisChatStore implements ChatStore {
  constructor(
    private readonly run: RunScript,
    private readonly keys: Keys,
    private readonly cluster: boolean,
  ) {}

  async append(conversationKey: string, message: ChatMessage, keep: number, ttlMs: number, allowance: Allowance): Promise<number> {
    if (this.cluster) {
      const left = replies.msLeft(await this.run('limitHit', this.keys.limit(allowance.key), wholeMs('limit', allowance.limit, 1), wholeMs('windowMs', allowance.windowMs, 1)))
      if (left > 0) return left
      return replies.msLeft(await this.run('chatAppend', this.keys.chat(conversationKey), stored.chatMessage(message), wholeMs('keep', keep, 1), wholeMs('ttlMs', ttlMs, 1)))
    }
    const reply = await this.run(
      'chatPost',
      this.keys.limit(allowance.key),
      this.keys.chat(conversationKey),
      stored.chatMessage(message),
      wholeMs('keep', keep, 1),
      wholeMs('ttlMs', ttlMs, 1),
      wholeMs('limit', allowance.limit, 1),
      wholeMs('windowMs', allowance.windowMs, 1),
    )
    return replies.msLeft(reply)
  }

  async history(conversationKey: string, limit: number): Promise<ChatMessage[]> {
    return replies.chatHistory(await this.run('chatHistory', this.keys.chat(conversationKey), wholeMs('limit', limit, 1)))
  }
}

/**
 * One stream for the whole log, trimmed to about `maxEntries` on every append. A listing reads it
 * newest first in pages of at most AUDIT_SCAN entries, one script each, until it has `limit` matches.
 */
class RedisAuditLog implements AuditLog {
  constructor(
    private readonly run: RunScript,
    private readonly keys: Keys,
    private readonly maxEntries: number,
  ) {}

  async append(event: AuditEvent): Promise<string> {
    const checked = checkedAuditEvent(event)
    const reply = await this.run('auditAppend', this.keys.audit(), this.maxEntries, checked.recordKey, checked.user.id, checked.by?.id ?? '', JSON.stringify(checked))
    return replies.streamId(reply)
  }

  async list(query: AuditQuery): Promise<AuditEntry[]> {
    return readPages(query, async (end, wanted) =>
      replies.auditPage(await this.run('auditList', this.keys.audit(), end, AUDIT_SCAN, wanted, query.recordKey ?? '', query.userId ?? '')),
    )
  }
}

/**
 * A log listing (audit, changes): pages newest first, one script call each, from `before` down,
 * until `limit` entries are found or the log ends. `page(end, wanted)` reads one.
 */
async function readPages<T>(query: { limit: number; before?: string }, page: (end: string, wanted: number) => Promise<{ entries: T[]; next: string | null }>): Promise<T[]> {
  const limit = wholeMs('limit', query.limit, 1)
  const found: T[] = []
  let end: string | null = query.before === undefined ? '+' : `(${streamId(query.before)}`
  while (end !== null && found.length < limit) {
    const read = await page(end, limit - found.length)
    found.push(...read.entries)
    end = read.next === null ? null : `(${read.next}`
  }
  return found
}

/** Entries a log listing (audit, changes) reads per script call: a page is quick for Redis whatever the log holds. */
const AUDIT_SCAN = 500

/** An id of a log's stream given back by a caller (`before`): refused unless it is one. */
function streamId(id: string): string {
  if (!/^\d+-\d+$/.test(id)) throw new RangeError(`not an entry id: ${JSON.stringify(id)}`)
  return id
}

class RedisTokenLedger implements TokenLedger {
  constructor(
    private readonly run: RunScript,
    private readonly keys: Keys,
  ) {}

  async spend(tokenId: string, ttlMs: number): Promise<boolean> {
    return replies.done(await this.run('tokenSpend', this.keys.spentToken(tokenId), wholeMs('ttlMs', Math.max(1, Math.ceil(ttlMs)), 1)))
  }
}

class RedisChangeLog implements ChangeLog {
  constructor(
    private readonly run: RunScript,
    private readonly keys: Keys,
    private readonly maxEntries: number,
  ) {}

  async append(change: ChangeRecord): Promise<string> {
    const checked = checkedChange(change)
    return replies.streamId(await this.run('changeAppend', this.keys.changes(), this.maxEntries, checked.resourceId, JSON.stringify(checked)))
  }

  async recent(query: ChangeQuery): Promise<ChangeEntry[]> {
    wholeMs('limit', query.limit, 1)
    if (query.resourceIds.length === 0) return []
    return readPages(query, async (end, wanted) => replies.changePage(await this.run('changeList', this.keys.changes(), end, AUDIT_SCAN, wanted, ...query.resourceIds)))
  }
}

class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly run: RunScript,
    private readonly keys: Keys,
  ) {}

  async hit(key: string, limit: number, windowMs: number): Promise<number> {
    return replies.msLeft(await this.run('limitHit', this.keys.limit(key), wholeMs('limit', limit, 1), wholeMs('windowMs', windowMs, 1)))
  }
}

/**
 * The slot ranges that these masters serve, each asked of itself (its id, then CLUSTER SLOTS);
 * null when any of them cannot say or serves none (a master being promoted may not list its
 * slots yet): the caller then treats every record as affected.
 */
async function slotsServedBy(masters: Redis[]): Promise<Array<[number, number]> | null> {
  try {
    const ranges: Array<[number, number]> = []
    for (const master of masters) {
      const id = String(await master.cluster('MYID'))
      // Each range: from, to, then its master [host, port, id], then its replicas.
      const own = (await master.cluster('SLOTS')).filter(([, , served]) => served?.[2] === id)
      if (own.length === 0) return null
      for (const [from, to] of own) ranges.push([from, to])
    }
    return ranges
  } catch {
    return null
  }
}

/** The `restart-quiet` key's value as slot ranges; null: every record ("*", a value from before slots, or none readable). */
function quietRanges(value: string | null): Array<[number, number]> | null {
  if (!value || value === '*') return null
  try {
    const parsed: unknown = JSON.parse(value)
    const ranges = Array.isArray(parsed) ? parsed.filter((range): range is [number, number] => Array.isArray(range) && range.length === 2 && range.every(Number.isInteger)) : []
    return ranges.length > 0 ? ranges : null
  } catch {
    return null
  }
}

/** How often a Cluster store asks its masters' run_ids, to notice a failover (one INFO a master). */
const CLUSTER_CHECK_MS = 1000

/**
 * `status`: emitted with true when Redis becomes reachable (connected, and checked for a restart),
 * false when the connection drops.
 */
type StatusEvents = { status: [available: boolean] }

export class RedisStore extends EventEmitter<StatusEvents> implements Store {
  readonly kind = 'redis'
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
  private readonly client: ScriptClient
  /** A Redis Cluster: keys of one record share a slot, anything else is called apart. */
  readonly cluster: boolean
  private readonly keys: Keys
  private readonly connectTimeoutMs: number
  private readonly restartQuietMs: number
  /** Connections handed out by `duplicateClient()` (and their own duplicates), ended by `close()`. */
  private readonly extraClients = new Set<Redis | Cluster>()
  private available = false
  private closed = false
  private lastError: Error | undefined
  /**
   * The run_id of each Redis server last connected to, by address (one for a single Redis, each
   * master of a Cluster): another one means a restart or failover.
   */
  private runIds = new Map<string, string>()
  /** Counts connections, so a server check that outlived its connection changes nothing. */
  private connection = 0
  /**
   * While one runs for a record, this store grants it to nobody new but to a re-assertion: the
   * restart-quiet periods (every record on one Redis; the failed-over master's slots on a Cluster).
   * Kept here, not in Redis, because a record's script may only touch its own slot; the
   * `restart-quiet` key only tells stores that connect later (checkServer).
   */
  private readonly quiet = new QuietPeriods()
  /** A Cluster's servers are asked again every so often: a failover shows no event of its own. */
  private serverCheckTimer: NodeJS.Timeout | undefined

  constructor(options: RedisStoreOptions) {
    super()
    const redisOptions = connectionOptions(options.connection)
    if (typeof options.redis === 'string') {
      this.client = new Redis(options.redis, redisOptions) as ScriptClient
    } else if (Array.isArray(options.redis)) {
      if (options.redis.length === 0 || !options.redis.every((url) => typeof url === 'string' && /^rediss?:\/\//.test(url))) {
        throw configErrors.invalidOption('redis', 'a list must hold redis:// URLs of Redis Cluster nodes')
      }
      const { nodes, nodeOptions } = clusterNodes(options.redis)
      this.client = new Cluster(nodes, clusterOptions(options.connection, nodeOptions)) as ScriptClient
    } else if (isClusterClient(options.redis)) {
      // Our own connections, the caller's node options (password, TLS) with our timeouts.
      const given = options.redis
      this.client = given.duplicate(undefined, clusterOptions(options.connection, given.options.redisOptions ?? {})) as ScriptClient
    } else if (isRedisClient(options.redis)) {
      // Our own connection: its settings are ours, and the caller's client stays as it was.
      this.client = options.redis.duplicate(redisOptions) as ScriptClient
    } else {
      throw configErrors.invalidOption('redis', 'must be a redis:// URL, a list of them (a Redis Cluster) or an ioredis client')
    }
    this.cluster = this.client instanceof Cluster
    for (const [name, script] of Object.entries(scripts)) this.client.defineCommand(name, script)
    this.connectTimeoutMs = options.connection.connectTimeoutMs
    this.restartQuietMs = options.restartQuietMs ?? 0

    // Every failure of a script call is the store being unreachable, in one type for the callers.
    const run: RunScript = async (name, ...keysThenArgs) => {
      // Also between connecting and the server check: a restart must be noticed before any grant.
      if (!this.available) throw new StoreUnavailableError(this.lastError ?? new Error(`Redis at ${this.where()} is not connected`))
      try {
        return await this.client[name](...keysThenArgs)
      } catch (error) {
        throw new StoreUnavailableError(error)
      }
    }
    const runMany: RunScripts = async (calls) => {
      if (calls.length === 0) return []
      if (!this.available) throw new StoreUnavailableError(this.lastError ?? new Error(`Redis at ${this.where()} is not connected`))
      // A Cluster's pipeline must keep to one slot: there each record is its own call, all at once.
      if (this.cluster) return await Promise.all(calls.map(([name, ...keysThenArgs]) => run(name, ...keysThenArgs)))
      const pipeline = this.client.pipeline() as unknown as Record<ScriptName, (...keysThenArgs: Array<string | number>) => unknown> & {
        exec(): Promise<Array<[Error | null, unknown]> | null>
      }
      for (const [name, ...keysThenArgs] of calls) pipeline[name](...keysThenArgs)
      let results: Array<[Error | null, unknown]> | null
      try {
        results = await pipeline.exec()
      } catch (error) {
        throw new StoreUnavailableError(error)
      }
      if (!results) throw new StoreUnavailableError(new Error('the pipeline was not run'))
      return results.map(([error, reply]) => {
        if (error) throw new StoreUnavailableError(error)
        return reply
      })
    }
    const keys = redisKeys(options.keyPrefix)
    this.keys = keys
    const quietMs = (recordKey: string) => this.quiet.leftMs(keys.lock(recordKey))
    this.locks = new RedisLockStore(run, keys, runMany, quietMs)
    this.presence = new RedisPresenceStore(run, keys, runMany)
    this.queue = new RedisQueueStore(run, keys)
    this.attention = new RedisAttentionStore(run, keys)
    this.saves = new RedisSaveLog(run, keys)
    this.writes = new RedisWriteSections(run, keys, quietMs)
    this.chat = new RedisChatStore(run, keys, this.cluster)
    this.limits = new RedisRateLimiter(run, keys)
    this.audit = new RedisAuditLog(run, keys, wholeMs('auditMaxEntries', options.auditMaxEntries ?? AUDIT_MAX_ENTRIES, 1))
    this.tokens = new RedisTokenLedger(run, keys)
    this.changes = new RedisChangeLog(run, keys, wholeMs('changeLogMaxEntries', options.changeLogMaxEntries ?? CHANGE_LOG_MAX_ENTRIES, 1))

    // Without an 'error' listener ioredis re-throws connection errors and takes the process down.
    this.client.on('error', (error: Error) => (this.lastError = error))
    this.client.on('ready', () => void this.checkServer())
    this.client.on('close', () => {
      this.connection += 1
      this.setAvailable(false)
    })
    if (this.cluster) {
      this.serverCheckTimer = setInterval(() => void (this.available && this.checkServer(true)), CLUSTER_CHECK_MS).unref()
    }
  }

  /**
   * Forgets nothing (Redis keeps the data) but starts a restart-quiet period of `quietMs`, as this
   * store does on seeing another Redis server: for tests of the period, whose leases the test deletes.
   */
  simulateDataLoss(quietMs: number): void {
    this.quiet.startEverywhere(quietMs)
  }

  /** run_id of each server the store's commands go to: the one Redis, or each master of a Cluster. */
  private async serverRunIds(): Promise<Map<string, { runId: string; server: Redis }>> {
    const servers: Array<[string, Redis]> =
      this.client instanceof Cluster ? this.client.nodes('master').map((node) => [`${node.options.host}:${node.options.port}`, node]) : [['', this.client as Redis]]
    const found = new Map<string, { runId: string; server: Redis }>()
    // A master that does not answer (down, until the Cluster drops it) hides none of the others.
    const asked = await Promise.allSettled(
      servers.map(async ([address, server]) => {
        const runId = /^run_id:(\w+)/m.exec(await server.info('server'))?.[1]
        if (runId) found.set(address, { runId, server })
      }),
    )
    const failed = asked.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failed && found.size === 0) throw failed.reason
    return found
  }

  /**
   * Runs on every (re)connection, before the store counts as available, and on a Cluster every
   * CLUSTER_CHECK_MS. A Redis with another run_id than before is another server (restarted, failed
   * over: on a Cluster, a master at an address that had another, or a new master) that may have lost
   * leases while their holders still edit, so this store's new grants of free records wait
   * `restartQuietMs`: of every record on one Redis, of the slots the new server serves on a Cluster.
   * The `restart-quiet` key (NX: the first process to notice sets it; its value the slot ranges, or
   * "*" for every record) tells the stores that connect during the period, and each store adopts
   * what is left of it.
   */
  private async checkServer(periodic = false): Promise<void> {
    const connection = this.connection
    try {
      const runIds = await this.serverRunIds()
      const changed = this.runIds.size > 0 ? [...runIds].filter(([address, { runId }]) => this.runIds.get(address) !== runId).map(([, { server }]) => server) : []
      if (changed.length > 0 && this.restartQuietMs > 0) {
        const ranges = this.cluster ? await slotsServedBy(changed) : null
        if (ranges) this.quiet.startInSlots(ranges, this.restartQuietMs)
        else this.quiet.startEverywhere(this.restartQuietMs)
        await this.client.set(this.keys.restartQuiet(), ranges ? JSON.stringify(ranges) : '*', 'PX', this.restartQuietMs, 'NX')
      }
      // Addresses that did not answer keep what they had: back with the same run_id, no change.
      this.runIds = new Map([...this.runIds, ...[...runIds].map(([address, { runId }]) => [address, runId] as const)])
      // Its value (the slots) is read only while a period runs: this runs every second on a Cluster.
      const left = await this.client.pttl(this.keys.restartQuiet())
      if (left > 0) {
        const slots = quietRanges(await this.client.get(this.keys.restartQuiet()))
        if (slots) this.quiet.startInSlots(slots, left)
        else this.quiet.startEverywhere(left)
      }
    } catch (error) {
      // The next connection checks again; a periodic check, at its next tick.
      if (connection !== this.connection || this.closed || periodic) return
      // A server that refuses INFO (ACL) cannot tell restarts apart: work without the quiet period.
      if (!(error instanceof ReplyError)) {
        // Timed out on a live connection: ask again rather than stay unavailable on it.
        setTimeout(() => void (connection === this.connection && this.checkServer()), 500).unref()
        return
      }
      this.lastError = error as Error
    }
    if (connection === this.connection && !this.closed && this.client.status === 'ready') this.setAvailable(true)
  }

  /**
   * A new connection to the same Redis, for Socket.IO's adapter: its publisher, from which the
   * adapter duplicates its readers. Unlike the store's own connection it queues commands while
   * reconnecting (`broadcastOptions`). `close()` ends it and everything duplicated from it, so close
   * the adapter (the socket server) first: its readers must stop polling before their client ends.
   */
  duplicateClient(): Redis | Cluster {
    if (this.closed) throw new Error('adminjs-collaborator: the Redis store was closed')
    if (this.client instanceof Cluster) {
      const { enableOfflineQueue, ...nodeOptions } = broadcastOptions
      return this.adopt(this.client.duplicate(undefined, { enableOfflineQueue, redisOptions: { ...this.client.options.redisOptions, ...nodeOptions } }))
    }
    return this.adopt((this.client as Redis).duplicate(broadcastOptions))
  }

  private adopt<C extends Redis | Cluster>(client: C): C {
    // Outages show on the store's own connection ('status'); unheard, ioredis would throw them.
    client.on('error', () => undefined)
    const duplicate = (client.duplicate as (...args: unknown[]) => C).bind(client)
    ;(client as { duplicate: unknown }).duplicate = (...args: unknown[]) => this.adopt(duplicate(...args))
    this.extraClients.add(client)
    client.once('end', () => this.extraClients.delete(client))
    return client
  }

  /** True while commands can reach Redis. */
  isAvailable(): boolean {
    return this.available
  }

  private setAvailable(available: boolean): void {
    if (this.available === available) return
    this.available = available
    this.emit('status', available)
  }

  /** Host and port only: the URL may carry a password. */
  private where(): string {
    if (this.client instanceof Cluster)
      return `the cluster of ${
        this.client
          .nodes('master')
          .map((node) => `${node.options.host}:${node.options.port}`)
          .join(', ') || 'no known node'
      }`
    return `${this.client.options.host ?? 'localhost'}:${this.client.options.port ?? 6379}`
  }

  async ready(): Promise<void> {
    if (this.closed) throw new Error('adminjs-collaborator: the Redis store was closed')
    if (this.available) return
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer)
        this.off('status', onStatus)
        this.client.off('end', onEnd)
        if (error) reject(error)
        else resolve()
      }
      const onStatus = (available: boolean) => {
        if (available) done()
      }
      const onEnd = () => done(new Error('adminjs-collaborator: the Redis store was closed before it connected'))
      const timer = setTimeout(() => {
        const cause = this.lastError ? `: ${this.lastError.message}` : ''
        done(new Error(`adminjs-collaborator: Redis at ${this.where()} not reachable within ${this.connectTimeoutMs} ms${cause} (still retrying in the background)`))
      }, this.connectTimeoutMs)
      this.on('status', onStatus)
      this.client.on('end', onEnd)
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.connection += 1
    clearInterval(this.serverCheckTimer)
    for (const client of this.extraClients) client.disconnect()
    this.extraClients.clear()
    if (this.client.status === 'ready') {
      // QUIT lets replies in flight arrive; a dead socket is simply dropped.
      await this.client.quit().catch(() => this.client.disconnect())
    } else {
      this.client.disconnect()
    }
    // QUIT resolves before the socket's 'close' event: say it now, so no caller sees a closed store as up.
    this.setAvailable(false)
  }
}

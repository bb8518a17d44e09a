/**
 * State in this process's memory: the embedded default, for a single Node process.
 * JavaScript runs one callback at a time, so each method body is atomic as long as it does not
 * await in the middle, which none does.
 *
 * Expired entries are dropped when read, and a periodic sweep (see `Sweeper`) drops those nobody
 * reads again, so memory follows what is live rather than everything ever touched.
 */
import type { ChatMessage } from '../protocol.js'
import { AUDIT_MAX_ENTRIES, auditMatches, checkedAuditEvent } from './audit-rules.js'
import { CHANGE_LOG_MAX_ENTRIES, changeMatches, checkedChange } from './change-rules.js'
import { byGrant } from './lock-rules.js'
import { byArrival } from './presence-rules.js'
import {
  QueueRefusedError,
  StoreRecoveringError,
  LeaseEndedError,
  type Allowance,
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
  type Holder,
  type LockSnapshot,
  type PresenceSnapshot,
  type PresenceUpdate,
  type ReleaseResult,
  type Lease,
  type LockStore,
  type PresenceEntry,
  type PresenceStore,
  type QueueEntry,
  type QueueRefusal,
  type QueueSnapshot,
  type QueueStore,
  type QueuedEntry,
  type RateLimiter,
  type SaveInfo,
  type SaveLog,
  type Store,
  type TransferCondition,
  type TransferResult,
  type WriteEntry,
  type WriteSections,
} from './store.js'

export interface MemoryStoreOptions {
  /**
   * At most how often expired entries nobody reads again are swept out, in ms.
   * @default 60000
   */
  sweepIntervalMs?: number
  /**
   * How many audit events the log keeps (a ring: the oldest go first).
   * @default 10000
   */
  auditMaxEntries?: number
  /**
   * How many changes made through the admin the change log keeps (a ring: the oldest go first).
   * @default 1000
   */
  changeLogMaxEntries?: number
}

/**
 * Runs every registered sweep from the first operation at least `intervalMs` after the last
 * sweep. Lazy expiry alone would keep every record ever locked, every tab that ever asked, for the
 * life of the process; sweeping on every call would make each call cost the whole store. Driven by
 * operations rather than a timer: nothing to stop on close, and a store nobody calls does not grow.
 */
class Sweeper {
  private readonly sweeps: Array<(nowMs: number) => void> = []
  private nextMs: number

  constructor(private readonly intervalMs: number) {
    this.nextMs = Date.now() + intervalMs
  }

  register(sweep: (nowMs: number) => void): void {
    this.sweeps.push(sweep)
  }

  /** Every operation calls this first. */
  tick(): void {
    const now = Date.now()
    if (now < this.nextMs) return
    this.nextMs = now + this.intervalMs
    for (const sweep of this.sweeps) sweep(now)
  }
}

/** Values that end at a deadline: an expired one reads as absent (and is dropped then, or by a sweep). */
class ExpiringMap<V> {
  private readonly slots = new Map<string, { value: V; expiresAtMs: number }>()

  constructor(sweeper: Sweeper) {
    sweeper.register((now) => {
      for (const [key, slot] of this.slots) if (slot.expiresAtMs <= now) this.slots.delete(key)
    })
  }

  /** The live value and its deadline, or undefined. */
  slot(key: string): { value: V; expiresAtMs: number } | undefined {
    const slot = this.slots.get(key)
    if (slot && slot.expiresAtMs <= Date.now()) {
      this.slots.delete(key)
      return undefined
    }
    return slot
  }

  set(key: string, value: V, ttlMs: number): void {
    this.slots.set(key, { value, expiresAtMs: Date.now() + ttlMs })
  }

  delete(key: string): void {
    this.slots.delete(key)
  }

  get size(): number {
    return this.slots.size
  }
}

/**
 * The memory store's restart-quiet period: Redis starts one when it comes back empty; here only
 * `MemoryStore.simulateDataLoss` does (a memory store that lost its data lost its process too).
 */
class QuietPeriod {
  private untilMs = 0

  start(ms: number): void {
    this.untilMs = Math.max(this.untilMs, Date.now() + ms)
  }

  /** Ms left, 0 when none runs. */
  left(): number {
    return Math.max(0, this.untilMs - Date.now())
  }
}

/**
 * Revisions in one process: one counter for every record. It orders each record's states as a
 * counter per record would (a later change of a record always gets a larger number than any
 * earlier read of it), and keeps nothing per record that would need sweeping.
 */
class Revisions {
  private last = 0

  next(): number {
    return ++this.last
  }

  current(): number {
    return this.last
  }
}

class MemoryLockStore implements LockStore {
  private readonly leases = new Map<string, Lease>()
  /** By record: tokens whose lease someone else ended, until when they may not re-assert it. */
  private readonly ended = new Map<string, Map<string, number>>()
  private fence = 0

  constructor(
    private readonly sweeper: Sweeper,
    private readonly quiet: QuietPeriod,
    private readonly revisions: Revisions,
    private readonly queue: MemoryQueueStore,
  ) {
    sweeper.register((now) => {
      for (const [recordKey, lease] of this.leases) if (lease.expiresAtMs <= now) this.leases.delete(recordKey)
      for (const [recordKey, tokens] of this.ended) {
        for (const [token, untilMs] of tokens) if (untilMs <= now) tokens.delete(token)
        if (tokens.size === 0) this.ended.delete(recordKey)
      }
    })
  }

  /** Whether the record is held now (for the queue, which gates only free records). */
  isHeld(recordKey: string): boolean {
    return this.live(recordKey) !== null
  }

  get size(): number {
    return this.leases.size
  }

  /** The live lease, dropping an expired one on the way. */
  private live(recordKey: string): Lease | null {
    this.sweeper.tick()
    const lease = this.leases.get(recordKey)
    if (!lease) return null
    if (lease.expiresAtMs <= Date.now()) {
      this.leases.delete(recordKey)
      return null
    }
    return lease
  }

  /** As include/lease.lua markEnded: for as long as the lease had left, at least a second. */
  private markEnded(recordKey: string, lease: Lease): void {
    let tokens = this.ended.get(recordKey)
    if (!tokens) this.ended.set(recordKey, (tokens = new Map()))
    tokens.set(lease.token, Math.max(tokens.get(lease.token) ?? 0, lease.expiresAtMs, Date.now() + 1000))
  }

  private wasEnded(recordKey: string, token: string): boolean {
    return (this.ended.get(recordKey)?.get(token) ?? 0) > Date.now()
  }

  private grant(recordKey: string, claimant: Claimant, ttlMs: number): Lease {
    const now = Date.now()
    this.ended.get(recordKey)?.delete(claimant.token)
    // Only the claimant's own fields, copied: the caller's objects never become the stored lease.
    const lease: Lease = { token: claimant.token, user: { ...claimant.user }, fence: ++this.fence, sinceMs: now, expiresAtMs: now + ttlMs, lastActiveMs: now, unsaved: false }
    this.leases.set(recordKey, lease)
    this.queue.granted(recordKey, claimant)
    return { ...lease }
  }

  /** Every lease gone, as with a Redis that restarted empty. */
  forgetAll(): void {
    this.leases.clear()
    this.ended.clear()
  }

  async claim(recordKey: string, claimant: Claimant, ttlMs: number, options?: ClaimOptions): Promise<ClaimResult> {
    const lease = this.live(recordKey)
    const own = lease !== null && lease.token === claimant.token && lease.user.id === claimant.user.id
    if (options?.reassert && !own && this.wasEnded(recordKey, claimant.token)) throw new LeaseEndedError()
    if (!lease) {
      const quietMs = this.quiet.left()
      if (quietMs > 0 && !options?.reassert) throw new StoreRecoveringError(quietMs)
      if (!options?.reassert) {
        const { refusal, changed } = this.queue.gate(recordKey, claimant)
        if (refusal) throw new QueueRefusedError(refusal, changed ? this.revisions.next() : this.revisions.current())
      }
      const granted = this.grant(recordKey, claimant, ttlMs)
      return { granted: true, renewed: false, lease: granted, revision: this.revisions.next() }
    }
    if (own) {
      lease.expiresAtMs = Date.now() + ttlMs
      return { granted: true, renewed: true, lease: { ...lease }, revision: this.revisions.current() }
    }
    return { granted: false, lease: { ...lease }, revision: this.revisions.current() }
  }

  /** The live lease of the record if `holder` holds it. */
  private heldBy(recordKey: string, holder: Holder): Lease | undefined {
    const lease = this.live(recordKey)
    return lease && lease.token === holder.token && lease.user.id === holder.user.id ? lease : undefined
  }

  async heartbeat(recordKey: string, holder: Holder, ttlMs: number): Promise<Lease | null> {
    const lease = this.heldBy(recordKey, holder)
    if (!lease) return null
    lease.expiresAtMs = Date.now() + ttlMs
    return { ...lease }
  }

  async release(recordKey: string, holder: Holder): Promise<ReleaseResult> {
    if (!this.heldBy(recordKey, holder)) return { released: false, revision: this.revisions.current() }
    this.leases.delete(recordKey)
    return { released: true, revision: this.revisions.next() }
  }

  async forceRelease(recordKey: string, expected?: ForceReleaseExpectation): Promise<ForceReleaseResult> {
    const lease = this.live(recordKey)
    const matches = lease !== null && (expected?.token === undefined || lease.token === expected.token) && (expected?.fence === undefined || lease.fence === expected.fence)
    if (!matches) return { released: false, lease: lease ? { ...lease } : null, revision: this.revisions.current() }
    this.leases.delete(recordKey)
    this.markEnded(recordKey, lease)
    return { released: true, lease: { ...lease }, revision: this.revisions.next() }
  }

  async expireIn(recordKey: string, holder: Holder, graceMs: number): Promise<boolean> {
    const lease = this.heldBy(recordKey, holder)
    if (!lease) return false
    lease.expiresAtMs = Date.now() + graceMs
    return true
  }

  async touch(recordKey: string, holder: Holder, atMs: number, unsaved?: boolean): Promise<Lease | null> {
    const lease = this.heldBy(recordKey, holder)
    if (!lease) return null
    lease.lastActiveMs = Math.max(lease.lastActiveMs, atMs)
    if (unsaved !== undefined) lease.unsaved = unsaved
    return { ...lease, user: { ...lease.user } }
  }

  private transferAllowed(recordKey: string, lease: Lease | null, condition: TransferCondition, to: Claimant): boolean {
    switch (condition.kind) {
      case 'same-user':
        return (!lease && this.quiet.left() === 0) || (lease !== null && lease.user.id === to.user.id)
      case 'holder':
        return this.heldBy(recordKey, condition.holder) !== undefined
      case 'unchanged': {
        const held = this.heldBy(recordKey, condition.lease)
        return held !== undefined && held.fence === condition.lease.fence && held.lastActiveMs === condition.lease.lastActiveMs
      }
    }
  }

  async transfer(recordKey: string, condition: TransferCondition, to: Claimant, ttlMs: number): Promise<TransferResult> {
    const lease = this.live(recordKey)
    const allowed = this.transferAllowed(recordKey, lease, condition, to)
    if (!allowed) return { transferred: false, lease: lease ? { ...lease } : null, revision: this.revisions.current() }
    if (!lease) {
      const { refusal, changed } = this.queue.gate(recordKey, to)
      if (refusal) return { transferred: false, lease: null, queued: refusal, revision: changed ? this.revisions.next() : this.revisions.current() }
    }
    if (lease && lease.token !== to.token) this.markEnded(recordKey, lease)
    const granted = this.grant(recordKey, to, ttlMs)
    return { transferred: true, lease: granted, revision: this.revisions.next() }
  }

  async get(recordKey: string): Promise<Lease | null> {
    const lease = this.live(recordKey)
    return lease ? { ...lease } : null
  }

  async read(recordKey: string): Promise<LockSnapshot> {
    return { lease: await this.get(recordKey), revision: this.revisions.current() }
  }

  async readMany(recordKeys: string[]): Promise<LockSnapshot[]> {
    return Promise.all(recordKeys.map((recordKey) => this.read(recordKey)))
  }

  async list(): Promise<ListedLease[]> {
    return this.listWhere(() => true)
  }

  async listFor(userId: string): Promise<ListedLease[]> {
    return this.listWhere((lease) => lease.user.id === userId)
  }

  private listWhere(accept: (lease: Lease) => boolean): ListedLease[] {
    this.sweeper.tick()
    const now = Date.now()
    const listed: ListedLease[] = []
    for (const [recordKey, lease] of this.leases) {
      if (lease.expiresAtMs > now && accept(lease)) listed.push({ recordKey, lease: { ...lease, user: { ...lease.user } } })
    }
    return listed.sort(byGrant)
  }
}

interface PresenceSlot {
  entry: PresenceEntry
  expiresAtMs: number
}

/** Presence rules: presence-rules.ts. */
class MemoryPresenceStore implements PresenceStore {
  /** Entries by entry id, by record; a record without entries has no map. */
  private readonly records = new Map<string, Map<string, PresenceSlot>>()

  constructor(
    private readonly sweeper: Sweeper,
    private readonly revisions: Revisions,
  ) {
    // Only records whose entries have ALL expired, as Redis drops a record's keys when its
    // longest-lived entry ends: a partly expired record is left for its next operation, so that a
    // `renew` there still reports the change instead of a sweep making it silently.
    sweeper.register((now) => {
      for (const [recordKey, entries] of this.records) {
        if ([...entries.values()].every((slot) => slot.expiresAtMs <= now)) this.records.delete(recordKey)
      }
    })
  }

  /** Entries, plus one for each record's map: an empty map kept would be a leak too. */
  get size(): number {
    let size = this.records.size
    for (const entries of this.records.values()) size += entries.size
    return size
  }

  /** The record's live entries, expired ones dropped first (the count says how many). */
  private live(recordKey: string): { entries: Map<string, PresenceSlot> | undefined; dropped: number } {
    this.sweeper.tick()
    const entries = this.records.get(recordKey)
    if (!entries) return { entries, dropped: 0 }
    const now = Date.now()
    let dropped = 0
    for (const [id, slot] of entries) {
      if (slot.expiresAtMs > now) continue
      entries.delete(id)
      dropped++
    }
    if (entries.size > 0) return { entries, dropped }
    this.records.delete(recordKey)
    return { entries: undefined, dropped }
  }

  private static listed(entries: Map<string, PresenceSlot> | undefined, revision: number): PresenceSnapshot {
    return { entries: entries ? [...entries.values()].map((slot) => ({ ...slot.entry })).sort(byArrival) : [], revision }
  }

  async join(recordKey: string, entry: PresenceEntry, ttlMs: number): Promise<PresenceUpdate> {
    const live = this.live(recordKey)
    let { entries } = live
    if (!entries) {
      entries = new Map()
      this.records.set(recordKey, entries)
    }
    entries.set(entry.id, { entry: { ...entry }, expiresAtMs: Date.now() + ttlMs })
    return { ...MemoryPresenceStore.listed(entries, this.revisions.next()), expired: live.dropped }
  }

  async leave(recordKey: string, entryId: string): Promise<PresenceUpdate> {
    const { entries, dropped } = this.live(recordKey)
    entries?.delete(entryId)
    if (entries?.size === 0) this.records.delete(recordKey)
    return { ...MemoryPresenceStore.listed(entries, this.revisions.next()), expired: dropped }
  }

  async renew(recordKey: string, entryIds: string[], ttlMs: number): Promise<boolean> {
    const { entries, dropped } = this.live(recordKey)
    const expiresAtMs = Date.now() + ttlMs
    for (const id of entryIds) {
      const slot = entries?.get(id)
      if (slot) slot.expiresAtMs = expiresAtMs
    }
    if (dropped > 0) this.revisions.next()
    return dropped > 0
  }

  /** Leaves expired entries in place (see `PresenceStore.list`): the next renew reports them. */
  async list(recordKey: string): Promise<PresenceSnapshot> {
    this.sweeper.tick()
    const now = Date.now()
    const live = [...(this.records.get(recordKey)?.values() ?? [])].filter((slot) => slot.expiresAtMs > now)
    return { entries: live.map((slot) => ({ ...slot.entry })).sort(byArrival), revision: this.revisions.current() }
  }

  async listMany(recordKeys: string[]): Promise<PresenceSnapshot[]> {
    return Promise.all(recordKeys.map((recordKey) => this.list(recordKey)))
  }

  /** Record key → until when it is marked as having presence (as Redis's presence-index). */
  private readonly marks = new Map<string, number>()

  async index(recordKeys: string[], ttlMs: number): Promise<void> {
    const untilMs = Date.now() + ttlMs
    for (const recordKey of recordKeys) this.marks.set(recordKey, Math.max(this.marks.get(recordKey) ?? 0, untilMs))
  }

  async indexed(): Promise<string[]> {
    const now = Date.now()
    for (const [recordKey, untilMs] of this.marks) if (untilMs <= now) this.marks.delete(recordKey)
    return [...this.marks.keys()]
  }
}

interface QueueSlot {
  entry: QueueEntry
  expiresAtMs: number
  turnMs: number
}

/** A record's line: slots in arrival order (a Map keeps insertion order), and the first's turn. */
interface Line {
  slots: Map<string, QueueSlot>
  turn?: { token: string; endsAtMs: number }
}

/** Queue rules: store.ts (`QueueStore`); the same steps as include/queue.lua. */
class MemoryQueueStore implements QueueStore {
  private readonly lines = new Map<string, Line>()
  /** Set by MemoryStore once the lock store exists: whether a record is held now. */
  isHeld: (recordKey: string) => boolean = () => false

  constructor(
    private readonly sweeper: Sweeper,
    private readonly revisions: Revisions,
  ) {
    // Only lines whose entries have all expired, as Redis drops the keys with the longest-lived
    // entry: a partly expired line is left to its next operation, which reports the drop.
    sweeper.register((now) => {
      for (const [recordKey, line] of this.lines) {
        if ([...line.slots.values()].every((slot) => slot.expiresAtMs <= now)) this.lines.delete(recordKey)
      }
    })
  }

  /** Entries, plus one for each record's line. */
  get size(): number {
    let size = this.lines.size
    for (const line of this.lines.values()) size += line.slots.size
    return size
  }

  /**
   * The record's line with expired entries dropped, and on a free record a first whose turn ended
   * unused; how many it dropped. An empty line is forgotten.
   */
  private settle(recordKey: string, free: boolean): { line: Line | undefined; dropped: number } {
    this.sweeper.tick()
    const line = this.lines.get(recordKey)
    if (!line) return { line, dropped: 0 }
    const now = Date.now()
    let dropped = 0
    for (const [token, slot] of line.slots) {
      if (slot.expiresAtMs > now) continue
      line.slots.delete(token)
      dropped++
    }
    const head = MemoryQueueStore.head(line)
    if (free && head && line.turn?.token === head[0] && line.turn.endsAtMs <= now) {
      line.slots.delete(head[0])
      line.turn = undefined
      dropped++
    }
    if (line.slots.size > 0) return { line, dropped }
    this.lines.delete(recordKey)
    return { line: undefined, dropped }
  }

  private static head(line: Line): [string, QueueSlot] | undefined {
    return line.slots.entries().next().value
  }

  private static queued(slot: QueueSlot, position: number): QueuedEntry {
    return { ...slot.entry, user: { ...slot.entry.user }, position, expiresAtMs: slot.expiresAtMs }
  }

  private static snapshot(line: Line | undefined, free: boolean, revision: number): QueueSnapshot {
    if (!line) return { entries: [], turnEndsAtMs: null, revision }
    const entries = [...line.slots.values()].map((slot, i) => MemoryQueueStore.queued(slot, i + 1))
    const turn = free && line.turn && line.turn.token === entries[0]?.token ? line.turn.endsAtMs : null
    return { entries, turnEndsAtMs: turn, revision }
  }

  /** The slot of `holder` in the line, if it is there for that user. */
  private static own(line: Line | undefined, holder: Holder): QueueSlot | undefined {
    const slot = line?.slots.get(holder.token)
    return slot && slot.entry.user.id === holder.user.id ? slot : undefined
  }

  /** For a claim of the free record: null when `claimant` may have it, else the refusal (see queueGate). */
  gate(recordKey: string, claimant: Holder): { refusal: QueueRefusal | null; changed: boolean } {
    const { line, dropped } = this.settle(recordKey, true)
    const head = line && MemoryQueueStore.head(line)
    if (!line || !head) return { refusal: null, changed: dropped > 0 }
    const [headToken, first] = head
    if (headToken === claimant.token && first.entry.user.id === claimant.user.id) return { refusal: null, changed: dropped > 0 }
    let changed = dropped > 0
    if (line.turn?.token !== headToken) {
      line.turn = { token: headToken, endsAtMs: Date.now() + first.turnMs }
      changed = true
    }
    const position = MemoryQueueStore.own(line, claimant) ? [...line.slots.keys()].indexOf(claimant.token) + 1 : null
    return { refusal: { position, length: line.slots.size, first: MemoryQueueStore.queued(first, 1), turnEndsAtMs: line.turn.endsAtMs }, changed }
  }

  /** After any grant of the record: the new holder leaves the line, and no turn runs. */
  granted(recordKey: string, holder: Holder): void {
    const line = this.lines.get(recordKey)
    if (!line) return
    if (MemoryQueueStore.own(line, holder)) line.slots.delete(holder.token)
    line.turn = undefined
    if (line.slots.size === 0) this.lines.delete(recordKey)
  }

  async join(recordKey: string, entry: QueueEntry, ttlMs: number, turnMs: number): Promise<QueueSnapshot & { joined: boolean }> {
    const free = !this.isHeld(recordKey)
    const settled = this.settle(recordKey, free)
    const taken = settled.line?.slots.get(entry.token)
    if (taken && taken.entry.user.id !== entry.user.id) {
      return { ...MemoryQueueStore.snapshot(settled.line, free, settled.dropped > 0 ? this.revisions.next() : this.revisions.current()), joined: false }
    }
    const line = settled.line ?? { slots: new Map() }
    this.lines.set(recordKey, line)
    const slot: QueueSlot = { entry: { token: entry.token, user: { ...entry.user }, sinceMs: entry.sinceMs }, expiresAtMs: Date.now() + ttlMs, turnMs }
    // A Map keeps a replaced key where it was: joining again keeps the place.
    line.slots.set(entry.token, slot)
    return { ...MemoryQueueStore.snapshot(line, free, this.revisions.next()), joined: true }
  }

  async leave(recordKey: string, holder: Holder): Promise<QueueSnapshot & { left: boolean }> {
    const free = !this.isHeld(recordKey)
    const { line, dropped } = this.settle(recordKey, free)
    const left = MemoryQueueStore.own(line, holder) !== undefined
    if (left) line!.slots.delete(holder.token)
    if (line?.slots.size === 0) this.lines.delete(recordKey)
    const revision = left || dropped > 0 ? this.revisions.next() : this.revisions.current()
    return { ...MemoryQueueStore.snapshot(line?.slots.size ? line : undefined, free, revision), left }
  }

  async renew(recordKey: string, tokens: string[], ttlMs: number): Promise<boolean> {
    const { line, dropped } = this.settle(recordKey, !this.isHeld(recordKey))
    const expiresAtMs = Date.now() + ttlMs
    for (const token of tokens) {
      const slot = line?.slots.get(token)
      if (slot) slot.expiresAtMs = expiresAtMs
    }
    if (dropped > 0) this.revisions.next()
    return dropped > 0
  }

  async list(recordKey: string): Promise<QueueSnapshot> {
    const free = !this.isHeld(recordKey)
    const { line, dropped } = this.settle(recordKey, free)
    return MemoryQueueStore.snapshot(line, free, dropped > 0 ? this.revisions.next() : this.revisions.current())
  }
}

class MemoryAttentionStore implements AttentionStore {
  private readonly intervals: ExpiringMap<true>
  /** Keyed by JSON of [recordKey, tabId]: no pair of strings can produce another pair's key. */
  private readonly candidates: ExpiringMap<Claimant>

  constructor(private readonly sweeper: Sweeper) {
    this.intervals = new ExpiringMap(sweeper)
    this.candidates = new ExpiringMap(sweeper)
  }

  get size(): number {
    return this.intervals.size + this.candidates.size
  }

  async throttle(key: string, intervalMs: number): Promise<number> {
    this.sweeper.tick()
    const running = this.intervals.slot(key)
    if (running) return running.expiresAtMs - Date.now()
    this.intervals.set(key, true, intervalMs)
    return 0
  }

  async putCandidate(recordKey: string, tabId: string, claimant: Claimant, ttlMs: number): Promise<void> {
    this.sweeper.tick()
    this.candidates.set(JSON.stringify([recordKey, tabId]), { ...claimant }, ttlMs)
  }

  async takeCandidate(recordKey: string, tabId: string): Promise<Claimant | null> {
    this.sweeper.tick()
    const key = JSON.stringify([recordKey, tabId])
    const candidate = this.candidates.slot(key)
    if (!candidate) return null
    this.candidates.delete(key)
    return candidate.value
  }
}

class MemorySaveLog implements SaveLog {
  private readonly saves: ExpiringMap<SaveInfo>

  constructor(private readonly sweeper: Sweeper) {
    this.saves = new ExpiringMap(sweeper)
  }

  get size(): number {
    return this.saves.size
  }

  async recordSave(recordKey: string, save: SaveInfo, ttlMs: number): Promise<void> {
    this.sweeper.tick()
    this.saves.set(recordKey, { ...save }, ttlMs)
  }

  async lastSave(recordKey: string): Promise<SaveInfo | null> {
    this.sweeper.tick()
    const save = this.saves.slot(recordKey)
    return save ? { ...save.value } : null
  }
}

/** One synchronous step each, like the Redis scripts. */
class MemoryWriteSections implements WriteSections {
  private readonly sections: ExpiringMap<number>
  private fence = 0

  constructor(
    private readonly sweeper: Sweeper,
    private readonly locks: MemoryLockStore,
    private readonly quiet: QuietPeriod,
  ) {
    this.sections = new ExpiringMap(sweeper)
  }

  get size(): number {
    return this.sections.size
  }

  async enter(recordKey: string, ttlMs: number): Promise<WriteEntry> {
    this.sweeper.tick()
    const inside = this.sections.slot(recordKey)
    if (inside) return { entered: false, retryInMs: Math.max(1, inside.expiresAtMs - Date.now()) }
    const fence = ++this.fence
    this.sections.set(recordKey, fence, ttlMs)
    return { entered: true, fence, lease: await this.locks.get(recordKey), quietMs: this.quiet.left() }
  }

  async leave(recordKey: string, fence: number): Promise<boolean> {
    this.sweeper.tick()
    if (this.sections.slot(recordKey)?.value !== fence) return false
    this.sections.delete(recordKey)
    return true
  }
}

/** A copy that shares no object with the caller's, as a message read back from Redis would. */
const copyMessage = (message: ChatMessage): ChatMessage => ({ ...message, from: { ...message.from } })

class MemoryChatStore implements ChatStore {
  /** Each conversation's newest messages, oldest first; the whole list ends `ttlMs` after the last append. */
  private readonly conversations: ExpiringMap<ChatMessage[]>

  constructor(
    private readonly sweeper: Sweeper,
    private readonly limits: MemoryRateLimiter,
  ) {
    this.conversations = new ExpiringMap(sweeper)
  }

  get size(): number {
    return this.conversations.size
  }

  async append(conversationKey: string, message: ChatMessage, keep: number, ttlMs: number, allowance: Allowance): Promise<number> {
    this.sweeper.tick()
    // Counted and stored in one synchronous step, as the Redis script does.
    const retryInMs = this.limits.count(allowance.key, allowance.limit, allowance.windowMs)
    if (retryInMs > 0) return retryInMs
    const messages = this.conversations.slot(conversationKey)?.value ?? []
    messages.push(copyMessage(message))
    if (messages.length > keep) messages.splice(0, messages.length - keep)
    this.conversations.set(conversationKey, messages, ttlMs)
    return 0
  }

  async history(conversationKey: string, limit: number): Promise<ChatMessage[]> {
    this.sweeper.tick()
    const messages = this.conversations.slot(conversationKey)?.value ?? []
    return messages.slice(-limit).map(copyMessage)
  }
}

/** A ring of the newest `maxEntries` events; ids count appends, so a newer event has a larger one. */
/**
 * The newest `maxEntries` of a log (a ring: the oldest go first), with ids that count appends: the
 * memory side of the audit and change logs, which Redis keeps as trimmed streams.
 */
class BoundedLog<T extends { id: string }> {
  private readonly ring: T[] = []
  /** Where the oldest entry is, once the ring is full. */
  private start = 0
  private appended = 0

  constructor(
    private readonly maxEntries: number,
    option: string,
  ) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError(`${option} must be an integer >= 1, got ${maxEntries}`)
  }

  get size(): number {
    return this.ring.length
  }

  append(make: (id: string) => T): string {
    const entry = make(String(++this.appended))
    if (this.ring.length < this.maxEntries) {
      this.ring.push(entry)
    } else {
      this.ring[this.start] = entry
      this.start = (this.start + 1) % this.maxEntries
    }
    return entry.id
  }

  /** Newest first: at most `limit` entries older than `before` that `accept` takes, each through `copy`. */
  list(query: { limit: number; before?: string }, accept: (entry: T) => boolean, copy: (entry: T) => T): T[] {
    if (!Number.isSafeInteger(query.limit) || query.limit < 1) throw new RangeError(`limit must be an integer >= 1, got ${query.limit}`)
    const before = query.before === undefined ? Infinity : Number(query.before)
    if (!Number.isSafeInteger(before) && before !== Infinity) throw new RangeError(`not an entry id: ${JSON.stringify(query.before)}`)
    const found: T[] = []
    for (let i = this.ring.length - 1; i >= 0 && found.length < query.limit; i--) {
      const entry = this.ring[(this.start + i) % this.ring.length]!
      if (Number(entry.id) < before && accept(entry)) found.push(copy(entry))
    }
    return found
  }
}

class MemoryAuditLog implements AuditLog {
  private readonly log: BoundedLog<AuditEntry>

  constructor(maxEntries: number) {
    this.log = new BoundedLog(maxEntries, 'auditMaxEntries')
  }

  get size(): number {
    return this.log.size
  }

  async append(event: AuditEvent): Promise<string> {
    const checked = checkedAuditEvent(event)
    return this.log.append((id) => ({ id, ...checked }))
  }

  async list(query: AuditQuery): Promise<AuditEntry[]> {
    return this.log.list(query, (entry) => auditMatches(entry, query), copyAuditEntry)
  }
}

class MemoryTokenLedger implements TokenLedger {
  private readonly spent = new Map<string, number>()

  constructor(sweeper: Sweeper) {
    sweeper.register((now) => {
      for (const [tokenId, untilMs] of this.spent) if (untilMs <= now) this.spent.delete(tokenId)
    })
  }

  get size(): number {
    return this.spent.size
  }

  async spend(tokenId: string, ttlMs: number): Promise<boolean> {
    const now = Date.now()
    if ((this.spent.get(tokenId) ?? 0) > now) return false
    this.spent.set(tokenId, now + Math.max(1, ttlMs))
    return true
  }
}

class MemoryChangeLog implements ChangeLog {
  private readonly log: BoundedLog<ChangeEntry>

  constructor(maxEntries: number) {
    this.log = new BoundedLog(maxEntries, 'changeLogMaxEntries')
  }

  get size(): number {
    return this.log.size
  }

  async append(change: ChangeRecord): Promise<string> {
    const checked = checkedChange(change)
    return this.log.append((id) => ({ id, ...checked }))
  }

  async recent(query: ChangeQuery): Promise<ChangeEntry[]> {
    return this.log.list(
      query,
      (entry) => changeMatches(entry, query),
      (entry) => ({ ...entry, by: { ...entry.by }, fields: [...entry.fields] }),
    )
  }
}

/** A copy that shares no object with the log's, as an event read back from Redis would. */
const copyAuditEntry = (entry: AuditEntry): AuditEntry => ({ ...entry, user: { ...entry.user }, ...(entry.by ? { by: { ...entry.by } } : {}) })

class MemoryRateLimiter implements RateLimiter {
  /** Events counted in each key's running window; the window ends with the slot. */
  private readonly windows: ExpiringMap<{ count: number }>

  constructor(private readonly sweeper: Sweeper) {
    this.windows = new ExpiringMap(sweeper)
  }

  get size(): number {
    return this.windows.size
  }

  async hit(key: string, limit: number, windowMs: number): Promise<number> {
    return this.count(key, limit, windowMs)
  }

  /** `hit`, synchronously: for steps that must count and act with nothing in between. */
  count(key: string, limit: number, windowMs: number): number {
    this.sweeper.tick()
    const window = this.windows.slot(key)
    if (!window) {
      this.windows.set(key, { count: 1 }, windowMs)
      return 0
    }
    // A live slot ends after now, so the wait is at least 1 ms.
    if (window.value.count >= limit) return window.expiresAtMs - Date.now()
    window.value.count += 1
    return 0
  }
}

export class MemoryStore implements Store {
  readonly kind = 'memory'
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
  private readonly quiet = new QuietPeriod()
  private readonly lockStore: MemoryLockStore
  private readonly parts: ReadonlyArray<{ readonly size: number }>

  constructor(options: MemoryStoreOptions = {}) {
    const sweeper = new Sweeper(options.sweepIntervalMs ?? 60_000)
    const revisions = new Revisions()
    const queue = new MemoryQueueStore(sweeper, revisions)
    const locks = new MemoryLockStore(sweeper, this.quiet, revisions, queue)
    queue.isHeld = (recordKey) => locks.isHeld(recordKey)
    const writes = new MemoryWriteSections(sweeper, locks, this.quiet)
    const presence = new MemoryPresenceStore(sweeper, revisions)
    const attention = new MemoryAttentionStore(sweeper)
    const saves = new MemorySaveLog(sweeper)
    const limits = new MemoryRateLimiter(sweeper)
    const chat = new MemoryChatStore(sweeper, limits)
    const audit = new MemoryAuditLog(options.auditMaxEntries ?? AUDIT_MAX_ENTRIES)
    const tokens = new MemoryTokenLedger(sweeper)
    const changes = new MemoryChangeLog(options.changeLogMaxEntries ?? CHANGE_LOG_MAX_ENTRIES)
    this.locks = locks
    this.presence = presence
    this.queue = queue
    this.attention = attention
    this.saves = saves
    this.writes = writes
    this.chat = chat
    this.limits = limits
    this.audit = audit
    this.changes = changes
    this.tokens = tokens
    this.lockStore = locks
    this.parts = [locks, presence, queue, attention, saves, writes, chat, limits, audit, changes, tokens]
  }

  /**
   * How many entries (leases, presence entries and the records holding them, queue entries and
   * the records' lines, intervals, candidacies, saves, chat conversations, rate-limit windows,
   * audit events: at most `auditMaxEntries`) this store holds, expired ones not yet dropped
   * included: lets tests and monitoring see that memory stays bounded.
   */
  heldEntries(): number {
    return this.parts.reduce((sum, part) => sum + part.size, 0)
  }

  /**
   * Forgets every lease and starts a restart-quiet period of `quietMs`, as a Redis store does when
   * Redis comes back without its data: for tests (and demos) of what follows such a loss. Only
   * re-asserted holders are granted free records, and only holders write, until it ends.
   */
  simulateDataLoss(quietMs: number): void {
    this.lockStore.forgetAll()
    this.quiet.start(quietMs)
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {}
}

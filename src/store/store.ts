/**
 * The one interface between the collaboration logic and where its state lives.
 * Handlers and the feature see only this; `MemoryStore` and `RedisStore` implement it, and one
 * contract suite (test/store-contract.test.ts) runs against both.
 *
 * Lock rules every implementation keeps (each operation is one atomic step):
 * - A lease belongs to one claimant: a tab token plus the user id it was granted to. A claim with
 *   the same token AND user id renews it (same fence); any other claim is denied while it lasts.
 * - Every grant (claim of a free record, or transfer) takes a new fence number from one counter
 *   shared by all records, so fences strictly increase across the whole store.
 * - A lease lives `ttlMs` from its last claim or heartbeat; then the record is free.
 */

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

/** Who asks for a lock. `token` is the tab's secret; `userId` binds it to the logged-in user. */
export interface Claimant {
  token: string
  userId: string
  /** Shown to others: the holder's display name and avatar, stored with the lease. */
  userName: string
  avatarUrl?: string
}

export interface Lease extends Claimant {
  fence: number
  /** When this claimant was granted the lock (epoch ms). Unchanged by renewals. */
  sinceMs: number
  /** When the lease ends unless renewed (epoch ms, this process's clock). */
  expiresAtMs: number
}

export type ClaimResult =
  /** `renewed`: the claimant already held the lease (same token and user). */
  | { granted: true; renewed: boolean; lease: Lease }
  /** Denied: `lease` is the current holder's. */
  | { granted: false; lease: Lease }

/** Which holder a transfer may take the lock from. */
export type TransferCondition =
  /** The lock is free, or held by another tab of this same user (a "take over in this tab"). */
  | { kind: 'same-user' }
  /** The lock is held by exactly this token (a hand-over the holder agreed to). */
  | { kind: 'holder-token'; token: string }

export type TransferResult = { transferred: true; lease: Lease } | { transferred: false; lease: Lease | null }

export interface LockStore {
  /** Grants a free record, renews the claimant's own lease, or reports the current holder. */
  claim(recordKey: string, claimant: Claimant, ttlMs: number): Promise<ClaimResult>
  /** Extends the lease if `token` still holds it; null when it does not (lost or expired). */
  heartbeat(recordKey: string, token: string, ttlMs: number): Promise<Lease | null>
  /** Frees the record if `token` holds it; false (and nothing changes) otherwise. */
  release(recordKey: string, token: string): Promise<boolean>
  /**
   * Shortens the lease of `token` to end `graceMs` from now (its connection dropped). The same
   * claimant may renew it by claiming within that time; otherwise the record frees itself.
   */
  expireIn(recordKey: string, token: string, graceMs: number): Promise<boolean>
  /** Gives the lock to `to` if `condition` holds, with a new fence. */
  transfer(recordKey: string, condition: TransferCondition, to: Claimant, ttlMs: number): Promise<TransferResult>
  /** The current lease, or null when the record is free. */
  get(recordKey: string): Promise<Lease | null>
}

export interface Store {
  readonly kind: 'memory' | 'redis'
  readonly locks: LockStore
  /** Resolves once the store can serve requests (Redis: first connection made). */
  ready(): Promise<void>
  /** Stops timers and connections this store opened. */
  close(): Promise<void>
}

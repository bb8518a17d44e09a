/**
 * State in this process's memory: the embedded default, for a single Node process.
 * JavaScript runs one callback at a time, so each method body is atomic as long as it does not
 * await in the middle, which none does.
 */
import type { Claimant, ClaimResult, Lease, LockStore, Store, TransferCondition, TransferResult } from './store.js'

class MemoryLockStore implements LockStore {
  private readonly leases = new Map<string, Lease>()
  private fence = 0

  /** The live lease, dropping an expired one on the way. */
  private live(recordKey: string): Lease | null {
    const lease = this.leases.get(recordKey)
    if (!lease) return null
    if (lease.expiresAtMs <= Date.now()) {
      this.leases.delete(recordKey)
      return null
    }
    return lease
  }

  private grant(recordKey: string, claimant: Claimant, ttlMs: number): Lease {
    const now = Date.now()
    const lease: Lease = { ...claimant, fence: ++this.fence, sinceMs: now, expiresAtMs: now + ttlMs }
    this.leases.set(recordKey, lease)
    return { ...lease }
  }

  async claim(recordKey: string, claimant: Claimant, ttlMs: number): Promise<ClaimResult> {
    const lease = this.live(recordKey)
    if (!lease) return { granted: true, renewed: false, lease: this.grant(recordKey, claimant, ttlMs) }
    if (lease.token === claimant.token && lease.userId === claimant.userId) {
      lease.expiresAtMs = Date.now() + ttlMs
      return { granted: true, renewed: true, lease: { ...lease } }
    }
    return { granted: false, lease: { ...lease } }
  }

  async heartbeat(recordKey: string, token: string, ttlMs: number): Promise<Lease | null> {
    const lease = this.live(recordKey)
    if (!lease || lease.token !== token) return null
    lease.expiresAtMs = Date.now() + ttlMs
    return { ...lease }
  }

  async release(recordKey: string, token: string): Promise<boolean> {
    const lease = this.live(recordKey)
    if (!lease || lease.token !== token) return false
    this.leases.delete(recordKey)
    return true
  }

  async expireIn(recordKey: string, token: string, graceMs: number): Promise<boolean> {
    const lease = this.live(recordKey)
    if (!lease || lease.token !== token) return false
    lease.expiresAtMs = Date.now() + graceMs
    return true
  }

  async transfer(recordKey: string, condition: TransferCondition, to: Claimant, ttlMs: number): Promise<TransferResult> {
    const lease = this.live(recordKey)
    const allowed =
      condition.kind === 'same-user'
        ? !lease || lease.userId === to.userId
        : lease !== null && lease.token === condition.token
    if (!allowed) return { transferred: false, lease: lease ? { ...lease } : null }
    return { transferred: true, lease: this.grant(recordKey, to, ttlMs) }
  }

  async get(recordKey: string): Promise<Lease | null> {
    const lease = this.live(recordKey)
    return lease ? { ...lease } : null
  }
}

export class MemoryStore implements Store {
  readonly kind = 'memory'
  readonly locks = new MemoryLockStore()

  async ready(): Promise<void> {}

  async close(): Promise<void> {}
}

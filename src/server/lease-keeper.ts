/**
 * Renews the leases held by this process's connected editors, all on one timer.
 *
 * Why the server renews and not the browser: browsers throttle timers in background tabs (down to
 * once a minute), which would take the lock from an editor who only switched tabs. A connected
 * socket is itself proof of life: Socket.IO's ping/pong notices a dead tab, and its disconnect
 * starts the reconnect grace. If this process dies, nothing renews and leases end after lockTtlMs.
 */
import type { RecordRef } from '../protocol.js'
import type { LockStore } from '../store/store.js'

export interface HeldLease {
  ref: RecordRef
  token: string
  socketId: string
}

export class LeaseKeeper {
  private readonly held = new Map<string, HeldLease>()
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly locks: LockStore,
    private readonly ttlMs: number,
    intervalMs: number,
    /** Called when a renewal finds the lease gone (expired while the store was away, or taken). */
    private readonly onLost: (recordKey: string, held: HeldLease) => void,
  ) {
    this.timer = setInterval(() => void this.renewAll(), intervalMs)
    this.timer.unref()
  }

  track(recordKey: string, held: HeldLease): void {
    this.held.set(recordKey, held)
  }

  /** Stops renewing, but only the given tab's lease: another local tab may hold it by now. */
  untrack(recordKey: string, token: string): HeldLease | undefined {
    const held = this.held.get(recordKey)
    if (!held || held.token !== token) return undefined
    this.held.delete(recordKey)
    return held
  }

  isHeldBy(recordKey: string, token: string): boolean {
    return this.held.get(recordKey)?.token === token
  }

  private async renewAll(): Promise<void> {
    await Promise.all(
      [...this.held].map(async ([recordKey, held]) => {
        try {
          const lease = await this.locks.heartbeat(recordKey, held.token, this.ttlMs)
          if (!lease && this.untrack(recordKey, held.token)) this.onLost(recordKey, held)
        } catch {
          // The store is unreachable: keep the lease on the list and try again next tick.
        }
      }),
    )
  }

  close(): void {
    clearInterval(this.timer)
    this.held.clear()
  }
}

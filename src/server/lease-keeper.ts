/**
 * Renews the leases held by this process's connected editors, all on one timer.
 *
 * Why the server renews and not the browser: browsers throttle timers in background tabs (down to
 * once a minute), which would take the lock from an editor who only switched tabs. A connected
 * socket is itself proof of life: Socket.IO's ping/pong notices a dead tab, and its disconnect
 * starts the reconnect grace. If this process dies, nothing renews and leases end after lockTtlMs.
 *
 * A renewal that finds the lease gone (it expired while the store was away, or Redis came back
 * without its data) first re-asserts it for the same tab: a claim with the holder's own token and
 * user, marked as a re-assertion so that Redis's restart-quiet period lets it through. Only when
 * that is denied (someone else holds the record now) is the lease lost, and the room told. A lease
 * that someone else ended (forced or idle release, hand-over, take-over, perhaps on another
 * process) is refused by the store as ended, not lost: it is dropped without a word, since whoever
 * ended it told the room, and no `expired` is reported for it.
 */
import type { RecordRef } from '../protocol.js'
import { LeaseEndedError, type Claimant, type LockSnapshot, type LockStore } from '../store/store.js'

export interface HeldLease {
  ref: RecordRef
  /** The holder tab's claimant (its token and user), kept to re-assert the lease with. */
  claimant: Claimant
  socketId: string
}

/**
 * The lock of a kept record changed without anyone asking here: re-granted to the same tab with a
 * new fence, or lost (`lease`: the new holder's, or null). Either way the room should hear it.
 */
export type LeaseChanged = (recordKey: string, held: HeldLease, state: LockSnapshot) => void

export class LeaseKeeper {
  private readonly held = new Map<string, HeldLease>()
  private readonly timer: NodeJS.Timeout
  private renewing: Promise<void> | undefined
  private renewAgain = false

  constructor(
    private readonly locks: LockStore,
    private readonly ttlMs: number,
    intervalMs: number,
    private readonly onChanged: LeaseChanged,
    /** Whether the socket is still connected to this process: a lease of a gone socket is never renewed. */
    private readonly isConnected: (socketId: string) => boolean,
  ) {
    this.timer = setInterval(() => void this.renewAll(), intervalMs)
    this.timer.unref()
  }

  track(recordKey: string, held: HeldLease): void {
    this.held.set(recordKey, held)
  }

  /**
   * Stops renewing, but only the lease this socket's join holds: another local tab may hold it by
   * now, and a socket that joined with someone else's token (copied from a form) must not be able
   * to stop the renewal of that owner's lease, so the socket must match as well as the token.
   */
  untrack(recordKey: string, socketId: string, token: string): HeldLease | undefined {
    const held = this.held.get(recordKey)
    if (!held || held.socketId !== socketId || held.claimant.token !== token) return undefined
    this.held.delete(recordKey)
    return held
  }

  /** Stops renewing every lease this socket holds (it left), and returns them. */
  untrackSocket(socketId: string): Array<[recordKey: string, held: HeldLease]> {
    const gone = [...this.held].filter(([, held]) => held.socketId === socketId)
    for (const [recordKey] of gone) this.held.delete(recordKey)
    return gone
  }

  /** Stops renewing the lease of this tab, whichever socket holds it (it was ended by force). */
  forget(recordKey: string, token: string): void {
    if (this.held.get(recordKey)?.claimant.token === token) this.held.delete(recordKey)
  }

  /** Every lease this process renews now, by record key (the idle watch reads them). */
  entries(): IterableIterator<[recordKey: string, held: HeldLease]> {
    return this.held.entries()
  }

  isHeldBy(recordKey: string, token: string): boolean {
    return this.held.get(recordKey)?.claimant.token === token
  }

  /** Renews every lease now (the store just came back), not at the next tick. */
  renewNow(): void {
    void this.renewAll()
  }

  private async renewAll(): Promise<void> {
    // One pass at a time; a request made during one runs again right after it.
    if (this.renewing) {
      this.renewAgain = true
      return this.renewing
    }
    this.renewing = Promise.all([...this.held].map(([recordKey, held]) => this.renew(recordKey, held))).then(() => undefined)
    await this.renewing
    this.renewing = undefined
    if (this.renewAgain) {
      this.renewAgain = false
      await this.renewAll()
    }
  }

  private async renew(recordKey: string, held: HeldLease): Promise<void> {
    // The socket's disconnect handler gives its leases up (grace or release); should it ever miss
    // one, the lease is still not kept alive for a tab that is gone: it runs out after its TTL.
    if (!this.isConnected(held.socketId)) {
      if (this.held.get(recordKey) === held) this.held.delete(recordKey)
      return
    }
    try {
      if (await this.locks.heartbeat(recordKey, held.claimant, this.ttlMs)) return
      // Checked right before the claim is sent: a tab that left meanwhile released (or shortened)
      // its lease in a command sent after this one, so it cannot be left holding a lock it gave up.
      if (this.held.get(recordKey) !== held) return
      const result = await this.locks.claim(recordKey, held.claimant, this.ttlMs, { reassert: true })
      if (result.granted) {
        if (!result.renewed && this.held.get(recordKey) === held) this.onChanged(recordKey, held, result)
        return
      }
      if (this.held.get(recordKey) !== held) return
      this.held.delete(recordKey)
      this.onChanged(recordKey, held, result)
    } catch (error) {
      if (error instanceof LeaseEndedError) {
        if (this.held.get(recordKey) === held) this.held.delete(recordKey)
        return
      }
      // The store is unreachable: keep the lease on the list and try again next tick.
    }
  }

  close(): void {
    clearInterval(this.timer)
    this.held.clear()
  }
}

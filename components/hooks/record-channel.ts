/**
 * The bookkeeping of one record session, shared by the session and the features on it (the edit
 * lock): no React, so the join, the claims and the broadcasts see the same numbers at once.
 *
 * - Epochs: every join and disconnect starts a new one. The answer to a request sent in an older
 *   epoch is about a join that is gone, and `send` hands back null for it.
 * - Lease order: a lease applies only when its revision is at least the last applied one (see
 *   `isCurrent`); after a (re)connect nothing is applied yet, and the next join is the baseline.
 * - Own revisions: the revisions this tab's own requests were answered with. A lease naming this
 *   tab at any other revision was handed over to it.
 */
import type { AckCallback, ClientToServerEvents, LeaseView, Revision } from '../../src/protocol'
import { isCurrent } from './revision'
import { request, type ClientError, type Reply } from './request'
import type { CollaborationSocket } from './socket-client'

export interface LeaseSnapshot {
  lease: LeaseView | null
  /** Local clock when it arrived: `expiresInMs` counts from then. */
  receivedAtMs: number
  /** It came from (or was re-armed by) this tab's own claim, so a free lock is not claimed again at once. */
  afterClaim: boolean
}

export const NO_LEASE: LeaseSnapshot = { lease: null, receivedAtMs: 0, afterClaim: false }

type EventName = keyof ClientToServerEvents
type RequestOf<E extends EventName> = Parameters<ClientToServerEvents[E]>[0]
type ReplyOf<E extends EventName> = Parameters<ClientToServerEvents[E]>[1] extends AckCallback<infer T> ? T : never

export interface ChannelSinks {
  /** Where the current lease goes (a React state setter). */
  lease: (update: (previous: LeaseSnapshot) => LeaseSnapshot) => void
  /** Where errors of the session's requests go: one slot, the latest wins (null clears it). */
  error: (error: ClientError | null) => void
}

export class RecordChannel {
  /** This tab's id on the server, from the last join answered. */
  myTabId: string | null = null
  /** Joins the record again (set by the session): the server no longer counts this socket as joined. */
  rejoin: () => void = () => undefined
  private epoch = 0
  private inFlight = 0
  private closed = false
  private lastRevision: Revision | null = null
  private readonly ownRevisions = new Set<Revision>()

  constructor(
    private readonly socket: CollaborationSocket,
    readonly sinks: ChannelSinks,
  ) {}

  /** Sends a request; null when the answer is stale (a disconnect, a newer join or the end came between). */
  async send<E extends EventName>(event: E, payload: RequestOf<E>, options: { newEpoch?: boolean } = {}): Promise<Reply<ReplyOf<E>> | null> {
    if (options.newEpoch) this.epoch += 1
    const sentIn = this.epoch
    this.inFlight += 1
    const reply = await request(this.socket, event, payload).finally(() => {
      this.inFlight -= 1
    })
    return this.closed || sentIn !== this.epoch ? null : reply
  }

  /** Applies a lease unless a newer one was applied already; says whether it did. */
  applyLease(lease: LeaseView | null, revision: Revision, afterClaim: boolean): boolean {
    if (!isCurrent(revision, this.lastRevision)) return false
    this.lastRevision = revision
    this.sinks.lease(() => ({ lease, receivedAtMs: Date.now(), afterClaim }))
    return true
  }

  /** Re-arms the claim schedule with what is known (a denial without news, a failed claim). */
  rearm(): void {
    this.sinks.lease((previous) => ({ ...previous, receivedAtMs: Date.now(), afterClaim: true }))
  }

  /** Notes a revision one of this tab's own requests was answered with. */
  own(revision: Revision): void {
    this.ownRevisions.add(revision)
  }

  /**
   * Whether a broadcast lease was handed to this tab: it names this tab, is current, and no request
   * of ours produced it (while one is out, a lease naming us may be its own grant, broadcast before
   * the answer). Current means "applies or was just applied", so listeners may run in any order.
   */
  isHandOver(lease: LeaseView | null, revision: Revision): boolean {
    return lease !== null && lease.tabId === this.myTabId && isCurrent(revision, this.lastRevision) && !this.ownRevisions.has(revision) && this.inFlight === 0
  }

  /**
   * The connection dropped. The server may come back as another process, or with a store that
   * restarted: the next join's answer is the baseline again.
   */
  disconnected(): void {
    this.epoch += 1
    this.lastRevision = null
    this.ownRevisions.clear()
  }

  close(): void {
    this.closed = true
    this.epoch += 1
  }
}

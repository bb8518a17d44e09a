/**
 * Watching one record's lock from the outside, for fault tests:
 * - `LeaseLog` keeps every lease any tab was shown (join and claim replies, `lock:state`), with the
 *   time it arrived, and checks that no two tabs ever held the lock at once;
 * - `WaitingEditor` is an edit tab waiting for the lock the way the edit page does
 *   (components/hooks/useEditLock.ts): it claims as soon as it hears the lock is free, and once
 *   more just after the holder's lease should have ended (nobody announces the end of a lease whose
 *   process died); a denial carries the lease again, which schedules the next try.
 */
import type { Ack, LeaseView, LockStateEvent, RecordRef } from '../../src/protocol.js'
import { request, type TestSocket } from './clients.js'

/** As the page: claim this long after the lease should have ended, and retry a failed claim after this. */
export const CLAIM_MARGIN_MS = 250
export const CLAIM_RETRY_MS = 2000

export interface LeaseSeen {
  atMs: number
  /** Who saw it and how, e.g. `bob claim`, `alice lock:state`. */
  source: string
  lease: LeaseView | null
}

export class LeaseLog {
  readonly seen: LeaseSeen[] = []

  constructor(private readonly ref: RecordRef) {}

  add(source: string, lease: LeaseView | null, atMs = Date.now()): void {
    this.seen.push({ atMs, source, lease })
  }

  /** Logs every `lock:state` of this record the socket hears from now on. */
  follow(socket: TestSocket, name: string): void {
    socket.on('lock:state', (state) => {
      if (state.resourceId === this.ref.resourceId && state.recordId === this.ref.recordId) this.add(`${name} lock:state`, state.lease)
    })
  }

  /**
   * Problems with "one holder at a time", as seen from outside: a fence shown with two different
   * tabs, or a holder still shown after a later holder (a larger fence) was first shown.
   */
  problems(): string[] {
    const held = this.seen.filter((entry): entry is LeaseSeen & { lease: LeaseView } => entry.lease !== null)
    const byFence = new Map<number, { tabs: Set<string>; first: number; last: number }>()
    for (const { atMs, lease } of held) {
      const known = byFence.get(lease.fence) ?? { tabs: new Set<string>(), first: atMs, last: atMs }
      known.tabs.add(lease.tabId)
      known.first = Math.min(known.first, atMs)
      known.last = Math.max(known.last, atMs)
      byFence.set(lease.fence, known)
    }
    const problems: string[] = []
    const fences = [...byFence.keys()].sort((a, b) => a - b)
    for (const fence of fences) {
      const { tabs } = byFence.get(fence)!
      if (tabs.size > 1) problems.push(`fence ${fence} shown for ${tabs.size} tabs`)
    }
    for (let i = 0; i < fences.length; i += 1) {
      for (let j = i + 1; j < fences.length; j += 1) {
        const older = byFence.get(fences[i]!)!
        const newer = byFence.get(fences[j]!)!
        if (older.last > newer.first) problems.push(`fence ${fences[i]} still shown ${older.last - newer.first} ms after fence ${fences[j]}`)
      }
    }
    return problems
  }

  /** One line per distinct holder, in order: who, fence, how often seen, first and last time. */
  summary(names: Record<string, string>, sinceMs: number): string {
    const rows = new Map<string, { count: number; first: number; last: number }>()
    for (const { atMs, lease } of this.seen) {
      const key = lease ? `${names[lease.tabId] ?? lease.user.name} fence ${lease.fence}` : 'free'
      const row = rows.get(key) ?? { count: 0, first: atMs, last: atMs }
      row.count += 1
      row.last = atMs
      rows.set(key, row)
    }
    return [...rows].map(([key, row]) => `${key}: seen ${row.count}x, ${row.first - sinceMs}..${row.last - sinceMs} ms`).join('; ')
  }
}

export interface Granted {
  atMs: number
  lease: LeaseView
}

export class WaitingEditor {
  /** Resolves when this tab is granted the lock (by its own claim). */
  readonly granted: Promise<Granted>
  readonly claims: Array<{ atMs: number; granted: boolean }> = []
  private resolveGranted!: (granted: Granted) => void
  private timer: NodeJS.Timeout | undefined
  private inFlight = false
  private stopped = false

  constructor(
    private readonly socket: TestSocket,
    private readonly ref: RecordRef,
    private readonly tabId: string,
    private readonly log: LeaseLog,
    private readonly name: string,
    /** The lease the join reply showed. */
    initial: LeaseView | null,
  ) {
    this.granted = new Promise((resolve) => {
      this.resolveGranted = resolve
    })
    socket.on('lock:state', this.onState)
    this.schedule(initial, false)
  }

  private readonly onState = (state: LockStateEvent) => {
    if (state.resourceId !== this.ref.resourceId || state.recordId !== this.ref.recordId) return
    this.schedule(state.lease, false)
  }

  /** As the page: free → claim now (or retry later after a claim of ours); held → after it should end. */
  private schedule(lease: LeaseView | null, afterClaim: boolean): void {
    if (this.stopped) return
    clearTimeout(this.timer)
    if (lease?.tabId === this.tabId) return
    const dueInMs = lease ? lease.expiresInMs + CLAIM_MARGIN_MS : afterClaim ? CLAIM_RETRY_MS : 0
    this.timer = setTimeout(() => void this.claim(), dueInMs)
  }

  private async claim(): Promise<void> {
    if (this.inFlight || this.stopped) return
    this.inFlight = true
    let reply: Ack<LockStateEvent>
    try {
      reply = await request<LockStateEvent>(this.socket, 'lock:claim', this.ref)
    } catch {
      reply = { ok: false, error: { code: 'internal', message: 'no answer' } }
    } finally {
      this.inFlight = false
    }
    const atMs = Date.now()
    if (this.stopped) return
    if (!reply.ok) {
      this.claims.push({ atMs, granted: false })
      this.timer = setTimeout(() => void this.claim(), CLAIM_RETRY_MS)
      return
    }
    const { lease } = reply.data
    this.log.add(`${this.name} claim`, lease, atMs)
    const mine = lease?.tabId === this.tabId
    this.claims.push({ atMs, granted: mine })
    if (mine) this.resolveGranted({ atMs, lease: lease! })
    this.schedule(lease, true)
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.socket.off('lock:state', this.onState)
  }
}

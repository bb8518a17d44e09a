/**
 * A socket's rights end with its session. The handshake read the AdminJS session once; this reads
 * it again from the session store, which every process shares (connect-redis), so a logout on one
 * process ends that user's sockets on all of them:
 * - before every join and claim (`verify`), so no new right is granted on an ended session;
 * - for every socket of this process every `heartbeatIntervalMs` (`sweep`), so held locks end too.
 *
 * A session that is gone (logout, expiry) or whose admin differs from the one the socket opened
 * with (another login in the same cookie, a changed role, an admin `refreshAdmin` says is removed)
 * ends the socket: it is told `session:ended`, then closed; its leases are released at once.
 *
 * A session store that cannot be read right now ends nothing: its outage is not the user's logout,
 * and every save is checked by the admin's own session anyway. The next sweep asks again.
 */
import type { SessionReads, StoredSession } from './handshake-session.js'
import { ErrorCode } from '../protocol.js'
import type { AdminUser } from '../options.js'
import { versionJson, versionOfJson } from '../record-version.js'
import { AckFailure } from './ack-failure.js'
import type { CollabServer, CollabSocket } from './context.js'
import type { Logger } from './event-router.js'

export type RefreshAdmin = ((admin: AdminUser) => AdminUser | null | Promise<AdminUser | null>) | undefined

/**
 * Digests of the admins seen lately, by their stable JSON: every claim and join re-reads its
 * session, almost always to find the same admin again, and the sha256 was half of comparing it.
 * Keyed by the whole text the digest is of, so a hit is the digest itself. Bounded: past this
 * many, the oldest goes.
 */
const RECENT_DIGESTS = 1024
const recentDigests = new Map<string, string>()

/** A stable digest of the admin's fields (key order aside), to tell the same admin from a changed one. */
export function adminDigest(admin: AdminUser): string {
  const json = versionJson(admin)
  const known = recentDigests.get(json)
  if (known !== undefined) return known
  const digest = versionOfJson(json)
  if (recentDigests.size >= RECENT_DIGESTS) recentDigests.delete(recentDigests.keys().next().value!)
  recentDigests.set(json, digest)
  return digest
}

type Verdict = { ok: true; admin: AdminUser } | { ok: false; reason: string } | { ok: 'unknown' }

export class SessionWatch {
  private readonly timer: NodeJS.Timeout
  private sweeping = false

  constructor(
    private readonly io: CollabServer,
    /** The session store's reads, as promises (no callback to wrap and unwrap on every claim). */
    private readonly sessions: Pick<SessionReads, 'read'>,
    private readonly refreshAdmin: RefreshAdmin,
    intervalMs: number,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.sweep(), intervalMs)
    this.timer.unref()
  }

  /**
   * Resolves with the admin as the session has it now; a socket whose session is over is ended and
   * the call throws `unauthenticated`.
   */
  async verify(socket: CollabSocket): Promise<AdminUser> {
    const verdict = compare(await this.adminOf(socket.data.sessionId), socket.data.adminDigest)
    if (verdict.ok === true) return verdict.admin
    if (verdict.ok === 'unknown') return socket.data.adminUser
    this.end(socket, verdict.reason)
    throw new AckFailure(ErrorCode.Unauthenticated, verdict.reason)
  }

  /**
   * `verify`, with `work` running meanwhile instead of after it: the session read and the work's
   * own store round trip overlap, so the check costs no extra round trip on the event's path. The
   * session's verdict wins: on an ended session `undo` takes back what the work did (it has not been
   * announced yet), and the event is refused as `verify` would refuse it.
   */
  async verifyAlongside<T>(socket: CollabSocket, work: Promise<T>, undo?: (done: T) => Promise<unknown>): Promise<{ admin: AdminUser; done: T }> {
    const [session, result] = await Promise.allSettled([this.verify(socket), work])
    if (session.status === 'rejected') {
      // Not awaited: the refusal must go out before the socket closes (see `end`); nobody was told
      // of the work, so undoing it a round trip later is unseen.
      if (result.status === 'fulfilled' && undo)
        void undo(result.value).catch((error: unknown) => this.logger.warn('adminjs-collaborator: undoing the work of an ended session failed', error))
      throw session.reason
    }
    if (result.status === 'rejected') throw result.reason
    return { admin: session.value, done: result.value }
  }

  /** Re-checks every socket of this process, one session store read per session. */
  async sweep(): Promise<void> {
    if (this.sweeping) return
    this.sweeping = true
    try {
      const bySession = new Map<string, CollabSocket[]>()
      for (const socket of this.io.of('/').sockets.values()) {
        const list = bySession.get(socket.data.sessionId) ?? []
        list.push(socket)
        bySession.set(socket.data.sessionId, list)
      }
      await Promise.all(
        [...bySession].map(async ([sessionId, sockets]) => {
          // One read (and one refreshAdmin) per session, however many tabs it has open.
          const now = await this.adminOf(sessionId)
          for (const socket of sockets) {
            const verdict = compare(now, socket.data.adminDigest)
            if (verdict.ok === false) this.end(socket, verdict.reason)
          }
        }),
      )
    } finally {
      this.sweeping = false
    }
  }

  /**
   * Tells the page why, then closes the socket; the disconnect handlers release without grace.
   * The close waits for the end of this turn of the event loop: a join or claim refused by
   * `verify` gets its `unauthenticated` ack first (an ack written after the close would be dropped,
   * leaving the page waiting). Meanwhile `ended` makes the router refuse anything else queued.
   */
  end(socket: CollabSocket, reason: string): void {
    if (socket.data.ended) return
    socket.data.ended = true
    socket.emit('session:ended', { code: ErrorCode.Unauthenticated, message: reason })
    setImmediate(() => socket.disconnect(true))
  }

  close(): void {
    clearInterval(this.timer)
  }

  /** The session's admin as it is now (refreshed), or why there is none. */
  private async adminOf(sessionId: string): Promise<Verdict> {
    let session: StoredSession
    try {
      session = await this.sessions.read(sessionId)
    } catch (error) {
      this.logger.warn('adminjs-collaborator: the session store could not be read; sockets keep their session until it can', error)
      return { ok: 'unknown' }
    }
    const stored = session?.adminUser
    if (!stored || typeof stored !== 'object') return { ok: false, reason: 'the session has ended (logged out or expired)' }
    let admin: AdminUser | null = stored as AdminUser
    if (this.refreshAdmin) {
      try {
        admin = await this.refreshAdmin(admin)
      } catch (error) {
        this.logger.warn('adminjs-collaborator: refreshAdmin failed; the session is kept as it is', error)
        return { ok: 'unknown' }
      }
    }
    if (!admin) return { ok: false, reason: 'the admin of this session no longer exists' }
    return { ok: true, admin }
  }
}

/** A socket opened for the admin of `digest` may go on only while the session's admin is that one. */
function compare(now: Verdict, digest: string): Verdict {
  if (now.ok === true && adminDigest(now.admin) !== digest) return { ok: false, reason: 'the admin of this session has changed' }
  return now
}

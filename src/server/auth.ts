/**
 * Who is on the other end of a socket. The handshake must carry the AdminJS session cookie
 * (the express-session store and cookie that @adminjs/express wrote at login) and come from the
 * admin's own origin; otherwise there is no connection at all.
 *
 * Origin and session are checked in `allowRequest`, before the WebSocket is opened: a refused
 * client never gets a connection to hold. The origin first, so that a foreign page costs no session
 * read. The protocol version travels in the CONNECT packet, after the upgrade, so it is checked
 * there, with the per-user socket cap.
 *
 * Engine.IO keeps each socket's HTTP request for as long as the socket lives, so nothing is added
 * to it: the session is read without express-session's middleware (see handshake-session.ts) and
 * what the socket needs of it waits in `HandshakeSessions` until the socket takes it.
 */
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { SessionOptions } from 'express-session'
import type { Socket } from 'socket.io'
import { ErrorCode, PROTOCOL_VERSION, type UserView } from '../protocol.js'
import type { AdminUser } from '../options.js'
import type { CollabServer, CollabSocket } from './context.js'
import type { Logger } from './event-router.js'
import type { RequestSession } from './handshake-session.js'
import { AliasMap, LazyMap } from './lazy-map.js'
import { adminDigest } from './session-watch.js'

export interface SessionAuth {
  /** The options given to buildAuthenticatedRouter, including the shared `store`. */
  session: SessionOptions
  cookieName?: string
  cookiePassword: string
}

/** The logged-in admin of a request's session, as the handshake found it. */
export interface AdminSession {
  sessionId: string
  adminUser: AdminUser
}

/** The session's admin, if the session has one (an object, as @adminjs/express writes it). */
export function adminSessionOf(session: RequestSession | null): AdminSession | null {
  const adminUser = session?.data?.adminUser
  return session && adminUser && typeof adminUser === 'object' ? { sessionId: session.sessionId, adminUser: adminUser as AdminUser } : null
}

/**
 * Each accepted handshake's session, from allowRequest until the socket's middleware takes it, by
 * request. Weak: a request whose upgrade then fails takes its entry with it.
 */
export class HandshakeSessions {
  private readonly byRequest = new WeakMap<IncomingMessage, AdminSession>()

  put(req: IncomingMessage, session: AdminSession): void {
    this.byRequest.set(req, session)
  }

  take(req: IncomingMessage): AdminSession | undefined {
    const session = this.byRequest.get(req)
    this.byRequest.delete(req)
    return session
  }
}

export interface OriginPolicy {
  allowedOrigins: readonly string[]
  /** Believe X-Forwarded-Proto/-Host (a TLS-terminating or Host-rewriting proxy in front). */
  trustProxy: boolean
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value
  return first?.split(',')[0]?.trim() || undefined
}

/** The origin this request was made to, as `scheme://host[:port]` (default ports left out). */
export function requestOrigin(req: IncomingMessage, trustProxy: boolean): string | undefined {
  const ownScheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http'
  const scheme = (trustProxy ? firstHeader(req.headers['x-forwarded-proto']) : undefined) ?? ownScheme
  const host = (trustProxy ? firstHeader(req.headers['x-forwarded-host']) : undefined) ?? req.headers.host
  if (!host) return undefined
  try {
    return new URL(`${scheme}://${host}`).origin
  } catch {
    return undefined
  }
}

/**
 * Browsers always send Origin on WebSocket and cross-origin requests. Refusing foreign origins
 * stops another site from opening a socket with the admin's cookie (cross-site WebSocket hijacking).
 * Scheme and host both count: an `http://` page is not the `https://` admin. Requests without
 * Origin come from non-browser clients, which cannot borrow a browser's cookie.
 */
export function isAllowedOrigin(req: IncomingMessage, policy: OriginPolicy, origin = req.headers.origin): boolean {
  if (!origin) return true
  if (policy.allowedOrigins.includes(origin)) return true
  let claimed: string
  try {
    claimed = new URL(origin).origin
  } catch {
    return false
  }
  return claimed === requestOrigin(req, policy.trustProxy)
}

/** Why a handshake from `origin` with this session would be refused; null when it would not. */
export function refusalOf(req: IncomingMessage, policy: OriginPolicy, session: RequestSession | null, origin = req.headers.origin): ErrorCode | null {
  if (!isAllowedOrigin(req, policy, origin)) return ErrorCode.BadOrigin
  return adminSessionOf(session) ? null : ErrorCode.Unauthenticated
}

/**
 * Logs each refused origin once, with the fix: a proxy that rewrites Host otherwise makes every
 * form read-only with nothing in any log. Bounded, so a client inventing origins cannot grow it.
 */
export function originRefusalLogger(logger: Logger, limit = 100): (req: IncomingMessage, trustProxy: boolean) => void {
  const logged = new Set<string>()
  return (req, trustProxy) => {
    const origin = String(req.headers.origin).slice(0, 200)
    if (logged.has(origin) || logged.size >= limit) return
    logged.add(origin)
    const seen = requestOrigin(req, trustProxy) ?? '(no Host header)'
    logger.warn(
      `adminjs-collaborator: refused a socket from origin ${origin}: the server sees this admin as ${seen}. ` +
        'If that page is yours, add its origin to the `allowedOrigins` option' +
        (trustProxy ? '.' : ', or set `trustProxy: true` if a proxy that sets X-Forwarded-Proto/-Host is in front.'),
    )
  }
}

export function connectError(code: ErrorCode, message: string): Error & { data: { code: ErrorCode } } {
  return Object.assign(new Error(message), { data: { code } })
}

export interface HandshakeRules {
  /** Where allowRequest left each accepted request's session. */
  sessions: HandshakeSessions
  identify: (admin: AdminUser) => UserView
  maxSocketsPerUser: number
  /** The admin as the app knows it now (see the option); the socket is opened for that admin. */
  refreshAdmin?: (admin: AdminUser) => AdminUser | null | Promise<AdminUser | null>
  logger: Logger
}

/**
 * The admin a new socket is opened for: the session's, as `refreshAdmin` says it is now. Without
 * this, a demoted admin's page would reconnect as the role of the login, only to be ended on its
 * first join (its admin "changed"), again and again; a removed one would still get a connection.
 * A refreshAdmin that fails keeps the session's admin, as the session re-checks do.
 */
async function currentAdmin(sessionAdmin: AdminUser, rules: HandshakeRules): Promise<AdminUser | null> {
  if (!rules.refreshAdmin) return sessionAdmin
  try {
    return await rules.refreshAdmin(sessionAdmin)
  } catch (error) {
    rules.logger.warn('adminjs-collaborator: refreshAdmin failed; the session is kept as it is', error)
    return sessionAdmin
  }
}

/**
 * What the sockets of one session with one admin share: the admin, its UserView and its digest are
 * the same for all of them, so they are kept once (a session's admin read in one store read is one
 * object already; tabs that connected at other times would each keep a copy of their own).
 */
interface Identity {
  sessionId: string
  admin: AdminUser
  user: UserView
  digest: string
  sockets: number
}

/**
 * After the upgrade: the protocol version, the session's admin (checked again: allowRequest may be
 * bypassed by nothing, but this keeps the socket's data in one place), and the per-user socket cap.
 */
export function requireAdmin(io: CollabServer, rules: HandshakeRules): void {
  const socketsOfUser = new Map<string, number>()
  /** By session id and admin digest. */
  const identities = new Map<string, Identity>()
  /** An admin object shared by many handshakes is digested once. */
  const digests = new WeakMap<AdminUser, string>()
  const identityKey = (sessionId: string, digest: string) => `${sessionId}\n${digest}`

  // Socket.IO calls a socket's listeners with the socket as `this`: one function serves them all.
  function release(this: CollabSocket): void {
    const id = this.data.user.id
    const left = (socketsOfUser.get(id) ?? 1) - 1
    if (left > 0) socketsOfUser.set(id, left)
    else socketsOfUser.delete(id)
    const key = identityKey(this.data.sessionId, this.data.adminDigest)
    const identity = identities.get(key)
    if (identity && --identity.sockets === 0) identities.delete(key)
  }

  /** The shared identity of this session's admin; undefined when `identify` fails. */
  const identityOf = (sessionId: string, admin: AdminUser): Identity | undefined => {
    let digest = digests.get(admin)
    if (digest === undefined) {
      digest = adminDigest(admin)
      digests.set(admin, digest)
    }
    const known = identities.get(identityKey(sessionId, digest))
    if (known) return known
    try {
      // Only a UserView's fields, whatever else a custom `identify` returned: this one object is
      // what the store, the presence list and every message show of the user.
      const { id, name, avatarUrl } = rules.identify(admin)
      const user = avatarUrl ? { id, name, avatarUrl } : { id, name }
      return { sessionId, admin, user, digest, sockets: 0 }
    } catch (error) {
      // An async middleware's throw would be an unhandled rejection: refuse this socket instead.
      rules.logger.error('adminjs-collaborator: identify failed for a connecting admin', error)
      return undefined
    }
  }

  io.use(async (socket: Socket, next) => {
    const session = rules.sessions.take(socket.request)
    const version = (socket.handshake.auth as { v?: unknown } | undefined)?.v
    if (version !== PROTOCOL_VERSION) {
      return next(connectError(ErrorCode.VersionMismatch, `protocol version ${String(version)} is not ${PROTOCOL_VERSION}; reload the page`))
    }
    if (!session) return next(connectError(ErrorCode.Unauthenticated, 'no logged-in AdminJS session'))
    const admin = await currentAdmin(session.adminUser, rules)
    if (!admin) return next(connectError(ErrorCode.Unauthenticated, 'the admin of this session no longer exists'))
    // Gone while refreshAdmin ran: Socket.IO drops such a socket without a 'disconnect', so it
    // must not be counted below (the count would never come down).
    if (socket.conn.readyState !== 'open') return next(connectError(ErrorCode.Unauthenticated, 'closed during the handshake'))
    const identity = identityOf(session.sessionId, admin)
    if (!identity) return next(connectError(ErrorCode.Internal, 'internal error'))
    const { user } = identity
    const open = socketsOfUser.get(user.id) ?? 0
    if (open >= rules.maxSocketsPerUser) {
      return next(connectError(ErrorCode.TooManySockets, `at most ${rules.maxSocketsPerUser} connections per user; close some tabs`))
    }
    // Counted here, before the connection exists, so concurrent handshakes cannot all slip under the cap.
    socketsOfUser.set(user.id, open + 1)
    identity.sockets += 1
    identities.set(identityKey(identity.sessionId, identity.digest), identity)
    // `on`, not `once` (no wrapper per socket): Socket.IO says 'disconnect' once, and only after
    // `data` below is set.
    socket.on('disconnect', release)
    socket.data = {
      adminUser: identity.admin,
      user,
      sessionId: identity.sessionId,
      adminDigest: identity.digest,
      // Allocated on the first join: an idle socket keeps no map tables.
      joined: new LazyMap(),
      aliases: new AliasMap(),
    }
    next()
  })
}

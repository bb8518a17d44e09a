/**
 * The AdminJS session of a request, read as express-session reads it (the same cookie name, its
 * signature with the same secret, the same store), without express-session itself. Its middleware
 * hangs its state on the request (the Session with a back reference, its Cookie, a dozen closures
 * wrapping the response), and Engine.IO keeps the request of every socket for the socket's whole
 * life: at 10,000 idle sockets that was about 3 KiB each. Here nothing is written to the request or
 * the response; the caller keeps the two things a socket needs (the session id and its admin).
 *
 * Reads of one session that wait at the same time share one store read (`SessionReads`): a page
 * reload of a busy admin reconnects every tab of a session at once.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { CookieOptions, SessionData, SessionOptions, Store as SessionStore } from 'express-session'
import { SharedReads } from './shared-reads.js'

/** What a request's cookie says, once its session was read: the session id and what it holds. */
export interface RequestSession {
  sessionId: string
  /** The session's data, or null when the store has no such session (logged out, expired, never). */
  data: (SessionData & { adminUser?: unknown }) | null
}

export type StoredSession = RequestSession['data']

/**
 * The session store, read at most once at a time per session (see SharedReads): a reader that comes
 * while a read of its session is under way shares the next one, never one sent before it came, so a
 * logout that completed before a join was sent is always seen by that join.
 */
export class SessionReads {
  private readonly reads = new SharedReads<StoredSession>()

  constructor(private readonly store: Pick<SessionStore, 'get'>) {}

  read(sessionId: string): Promise<StoredSession> {
    return this.reads.read(
      sessionId,
      () =>
        new Promise<StoredSession>((resolve, reject) => {
          this.store.get(sessionId, (error: unknown, data?: SessionData | null) => {
            // express-session takes ENOENT (file stores) as "no such session".
            if (error && (error as { code?: unknown }).code !== 'ENOENT') reject(error)
            else resolve(error || !data ? null : data)
          })
        }),
    )
  }

  /** As express-session's Store.get, for code that takes a store (the session re-checks). */
  get(sessionId: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    this.read(sessionId).then(
      (session) => callback(null, session),
      (error: unknown) => callback(error),
    )
  }
}

export interface SessionCookie {
  /** express-session's `name`. */
  name: string
  secret: string
  /** express-session's `cookie` option (its `path` decides which requests carry the session). */
  cookie?: SessionOptions['cookie']
}

/** cookie@0.7's decoding of a value: percent-decoded when it has a `%` and decodes, else as it is. */
function decodeValue(value: string): string {
  if (!value.includes('%')) return value
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** Without the spaces and tabs around it (cookie@0.7 trims only those). */
function trimBlanks(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '')
}

/**
 * The value of cookie `name` in a Cookie header, as cookie@0.7's `parse` gives it (express-session's
 * parser): the first pair of that name, blanks around name and value trimmed, one pair of double
 * quotes around the value removed, then percent-decoded.
 */
export function cookieValue(header: string, name: string): string | undefined {
  let index = 0
  while (index < header.length) {
    const eq = header.indexOf('=', index)
    if (eq === -1) return undefined
    let end = header.indexOf(';', index)
    if (end === -1) end = header.length
    else if (eq > end) {
      // No `=` in this pair: skip to the pair the `=` is in.
      index = header.lastIndexOf(';', eq - 1) + 1
      continue
    }
    if (trimBlanks(header.slice(index, eq)) === name) {
      let value = trimBlanks(header.slice(eq + 1, end))
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
      return decodeValue(value)
    }
    index = end + 1
  }
  return undefined
}

/** cookie-signature's unsign: the value before the last `.` if the rest is its HMAC-SHA256 with `secret`. */
export function unsign(signed: string, secret: string): string | false {
  const value = signed.slice(0, signed.lastIndexOf('.'))
  const expected = Buffer.from(`${value}.${createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '')}`)
  const given = Buffer.from(signed)
  return expected.length === given.length && timingSafeEqual(expected, given) ? value : false
}

/**
 * Signed cookie values whose signature held, with their session id, per cookie settings: the same
 * value always has the same answer. Only valid values get in (a forger cannot fill it), and it is
 * started afresh when this full.
 */
const verifiedCookies = new WeakMap<SessionCookie, Map<string, string>>()
const VERIFIED_COOKIES = 1000

/** The path of the request as express-session matches it against the cookie's path. */
function pathnameOf(req: IncomingMessage): string {
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/'
  const end = url.search(/[?#]/)
  return (end === -1 ? url : url.slice(0, end)) || '/'
}

/**
 * The session id the request's cookie carries, if its signature holds; undefined as express-session
 * would find none (no cookie, not signed, forged, or a request outside the cookie's path).
 */
export function sessionIdOf(req: IncomingMessage, cookie: SessionCookie): string | undefined {
  const header = req.headers.cookie
  if (!header) return undefined
  // express-session also takes a function of the request for `cookie`.
  const given: unknown = cookie.cookie
  const options = (typeof given === 'function' ? (given as (req: IncomingMessage) => CookieOptions)(req) : given) as CookieOptions | undefined
  if (!pathnameOf(req).startsWith(options?.path || '/')) return undefined
  const raw = cookieValue(header, cookie.name)
  if (!raw?.startsWith('s:')) return undefined
  let verified = verifiedCookies.get(cookie)
  const known = verified?.get(raw)
  if (known !== undefined) return known
  const sessionId = unsign(raw.slice(2), cookie.secret)
  if (sessionId === false) return undefined
  // Every tab of a session sends the same cookie: its signature is checked once (for a while).
  if (!verified || verified.size >= VERIFIED_COOKIES) {
    verified = new Map()
    verifiedCookies.set(cookie, verified)
  }
  verified.set(raw, sessionId)
  return sessionId
}

/**
 * The request's session: null when its cookie carries none, `data` null when the store has no such
 * session. Rejects when the store cannot be read (no verdict on the request).
 */
export async function readRequestSession(req: IncomingMessage, cookie: SessionCookie, reads: SessionReads): Promise<RequestSession | null> {
  const sessionId = sessionIdOf(req, cookie)
  if (sessionId === undefined) return null
  return { sessionId, data: await reads.read(sessionId) }
}

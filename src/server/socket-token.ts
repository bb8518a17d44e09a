/**
 * Connection tokens for a socket server that runs apart from the admin (#15): the admin issues one,
 * for its logged-in admin, on the page's request before every (re)connection; the socket server
 * accepts a connection only with a valid one, as the session cookie is accepted today. A token
 * names the session (which the socket server then reads, and re-reads, from the shared session
 * store) and the user, and is valid for `tokenTtlMs` from its issue, once (its id is spent in the
 * store on first use).
 *
 * Format: `v1.<payload>.<signature>`, payload base64url JSON { sid, uid, exp, jti }, signature the
 * base64url HMAC-SHA256 of `v1.<payload>` with the shared secret, compared in constant time.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { ErrorCode } from '../protocol.js'

const VERSION = 'v1'

const payloadSchema = z.object({ sid: z.string().min(1).max(512), uid: z.string().min(1).max(512), exp: z.number().int(), jti: z.string().regex(/^[\w-]{16,64}$/) }).strict()

export interface TokenClaims {
  sessionId: string
  userId: string
  /** When it stops being valid (epoch ms, the issuer's clock). */
  expiresAtMs: number
  /** Spent on first use. */
  id: string
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; code: typeof ErrorCode.TokenInvalid | typeof ErrorCode.TokenExpired; reason: string }

function sign(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url')
}

export function issueToken(claims: { sessionId: string; userId: string }, secret: string, ttlMs: number, nowMs = Date.now()): { token: string; expiresAtMs: number } {
  const expiresAtMs = nowMs + ttlMs
  const payload = Buffer.from(JSON.stringify({ sid: claims.sessionId, uid: claims.userId, exp: expiresAtMs, jti: randomBytes(16).toString('base64url') })).toString('base64url')
  const body = `${VERSION}.${payload}`
  return { token: `${body}.${sign(body, secret)}`, expiresAtMs }
}

export function verifyToken(token: unknown, secret: string, nowMs = Date.now()): TokenCheck {
  const invalid = (reason: string): TokenCheck => ({ ok: false, code: ErrorCode.TokenInvalid, reason })
  if (typeof token !== 'string' || token.length > 2048) return invalid('no token')
  const parts = token.split('.')
  if (parts.length !== 3 || parts[0] !== VERSION) return invalid('not a token of this version')
  const [version, payload, signature] = parts as [string, string, string]
  const expected = Buffer.from(sign(`${version}.${payload}`, secret))
  const given = Buffer.from(signature)
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return invalid('the signature does not hold')
  let parsed: z.infer<typeof payloadSchema>
  try {
    parsed = payloadSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')))
  } catch {
    return invalid('a malformed payload')
  }
  if (parsed.exp <= nowMs) return { ok: false, code: ErrorCode.TokenExpired, reason: 'the token has expired' }
  return { ok: true, claims: { sessionId: parsed.sid, userId: parsed.uid, expiresAtMs: parsed.exp, id: parsed.jti } }
}

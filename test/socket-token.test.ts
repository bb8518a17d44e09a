/**
 * Connection tokens of a separate socket server (#15), as a hostile client would try them: a good
 * one passes with its claims; expired, forged (any part changed), of another secret, of another
 * version, malformed, and not strings at all are refused with their codes.
 */
import { createHmac } from 'node:crypto'
import { ErrorCode } from '../src/protocol.js'
import { issueToken, verifyToken } from '../src/server/socket-token.js'

const SECRET = 'a shared secret of the admin and its socket servers'
const now = 1_800_000_000_000

test('a fresh token passes with who and until when', () => {
  const { token, expiresAtMs } = issueToken({ sessionId: 'sess-1', userId: 'alice' }, SECRET, 30_000, now)
  expect(expiresAtMs).toBe(now + 30_000)
  const checked = verifyToken(token, SECRET, now + 29_999)
  expect(checked).toEqual({ ok: true, claims: { sessionId: 'sess-1', userId: 'alice', expiresAtMs: now + 30_000, id: expect.stringMatching(/^[\w-]{16,64}$/) } })
  // Two tokens for the same session are two tokens.
  const other = issueToken({ sessionId: 'sess-1', userId: 'alice' }, SECRET, 30_000, now).token
  expect(other).not.toBe(token)
})

test('a token is refused once its time is over, and a replay after expiry with it', () => {
  const { token } = issueToken({ sessionId: 'sess-1', userId: 'alice' }, SECRET, 30_000, now)
  expect(verifyToken(token, SECRET, now + 30_000)).toMatchObject({ ok: false, code: ErrorCode.TokenExpired })
  expect(verifyToken(token, SECRET, now + 3_600_000)).toMatchObject({ ok: false, code: ErrorCode.TokenExpired })
})

test('forged, other-secret, other-version and malformed tokens are refused as invalid', () => {
  const { token } = issueToken({ sessionId: 'sess-1', userId: 'alice' }, SECRET, 30_000, now)
  const [version, payload, signature] = token.split('.') as [string, string, string]
  const forgedPayload = Buffer.from(JSON.stringify({ sid: 'sess-1', uid: 'root', exp: now + 30_000, jti: 'x'.repeat(22) })).toString('base64url')
  const flipped = signature.slice(0, -1) + (signature.endsWith('A') ? 'B' : 'A')
  const cases: unknown[] = [
    `${version}.${forgedPayload}.${signature}`,
    `${version}.${payload}.${flipped}`,
    issueToken({ sessionId: 'sess-1', userId: 'alice' }, 'another secret', 30_000, now).token,
    `v2.${payload}.${signature}`,
    `${version}.${payload}`,
    `${token}.extra`,
    '',
    'not a token',
    'x'.repeat(5000),
    undefined,
    null,
    42,
    { token },
    [token],
  ]
  for (const candidate of cases) expect(verifyToken(candidate, SECRET, now)).toMatchObject({ ok: false, code: ErrorCode.TokenInvalid })
  // A payload that is signed but not a token's shape (a signer's bug, never a client's) is refused too.
  const body = `v1.${Buffer.from('{"sid":1}').toString('base64url')}`
  expect(verifyToken(`${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`, SECRET, now)).toMatchObject({ ok: false, code: ErrorCode.TokenInvalid })
})

/**
 * The handshake's own reading of the AdminJS session (src/server/handshake-session.ts), against
 * express-session's middleware on the same cookies: the same session id found, or none, for every
 * spelling of the Cookie header; and the shared store reads, which never answer a reader with a read
 * sent before it came.
 */
import { createHmac, randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { describe, expect, test } from '@jest/globals'
import session, { type SessionData } from 'express-session'
import { SessionReads, sessionIdOf, type SessionCookie } from '../src/server/handshake-session.js'

const SECRET = 'a secret of the admin'
const NAME = 'admin-cookie'

/** As express-session signs its cookie (cookie-signature): `s:` + id + `.` + HMAC-SHA256, base64 without padding. */
function signed(sessionId: string, secret = SECRET): string {
  return `s:${sessionId}.${createHmac('sha256', secret).update(sessionId).digest('base64').replace(/=+$/, '')}`
}

function fakeRequest(cookie: string | undefined, url = '/admin/collaborator/socket.io/?EIO=4&transport=websocket'): IncomingMessage {
  return { headers: cookie === undefined ? {} : { cookie }, url, method: 'GET', connection: {}, socket: {} } as unknown as IncomingMessage
}

/** The session id express-session's middleware reads from this cookie header, if any. */
async function expressSessionId(store: session.Store, header: string | undefined, url?: string, cookie?: session.CookieOptions): Promise<string | undefined> {
  const middleware = session({ store, secret: SECRET, name: NAME, resave: false, saveUninitialized: false, ...(cookie ? { cookie } : {}) })
  const req = fakeRequest(header, url) as IncomingMessage & { sessionID?: string; session?: { adminUser?: unknown } }
  const res = { writeHead: () => undefined, end: () => undefined, setHeader: () => undefined, getHeader: () => undefined }
  await new Promise<void>((resolve, reject) => middleware(req as never, res as never, (error?: unknown) => (error ? reject(error) : resolve())))
  // Without a session found, express-session makes a new one (with a new id and no admin).
  return req.session?.adminUser ? req.sessionID : undefined
}

describe('sessionIdOf reads the cookie as express-session does', () => {
  const id = randomUUID()
  const other = randomUUID()
  const store = new session.MemoryStore()
  const data = { cookie: { originalMaxAge: null }, adminUser: { email: 'alice@example.com' } } as unknown as SessionData
  store.set(id, data)
  store.set(other, data)
  const value = signed(id)
  const encoded = encodeURIComponent(value)
  const headers: Array<[string, string | undefined]> = [
    ['no header', undefined],
    ['empty', ''],
    ['the signed cookie, encoded (as browsers send it)', `${NAME}=${encoded}`],
    ['not encoded', `${NAME}=${value}`],
    ['among others, blanks around', `a=1;  ${NAME} =\t${encoded} ; b=2`],
    ['quoted', `${NAME}="${encoded}"`],
    ['twice: the first counts', `${NAME}=${encoded}; ${NAME}=${encodeURIComponent(signed(other))}`],
    ['twice: a forged one first', `${NAME}=${encodeURIComponent(`s:${other}.forged`)}; ${NAME}=${encoded}`],
    ['a pair without = before it', `junk; ${NAME}=${encoded}`],
    ['forged signature', `${NAME}=${encodeURIComponent(`s:${id}.AAAA`)}`],
    ['signature of another secret', `${NAME}=${encodeURIComponent(signed(id, 'another secret'))}`],
    ['signature cut short', `${NAME}=${encoded.slice(0, -1)}`],
    ['unsigned', `${NAME}=${id}`],
    ['another name', `${NAME}x=${encoded}`],
    ['a name containing it', `x${NAME}=${encoded}`],
    ['bad percent-encoding', `${NAME}=${encoded}%zz`],
    ['no dot', `${NAME}=s%3A${id}`],
  ]
  const cookie: SessionCookie = { name: NAME, secret: SECRET }

  test.each(headers)('%s', async (_what, header) => {
    const expected = await expressSessionId(store, header)
    expect(sessionIdOf(fakeRequest(header), cookie)).toBe(expected)
  })

  test('the valid spellings do find the session (the cases above test something)', async () => {
    expect(await expressSessionId(store, `${NAME}=${encoded}`)).toBe(id)
    expect(sessionIdOf(fakeRequest(`${NAME}=${encoded}`), cookie)).toBe(id)
  })

  test("outside the cookie's path there is no session", async () => {
    const scoped: SessionCookie = { ...cookie, cookie: { path: '/other' } }
    expect(await expressSessionId(store, `${NAME}=${encoded}`, undefined, { path: '/other' })).toBeUndefined()
    expect(sessionIdOf(fakeRequest(`${NAME}=${encoded}`), scoped)).toBeUndefined()
    expect(sessionIdOf(fakeRequest(`${NAME}=${encoded}`, '/other/socket.io/?EIO=4'), scoped)).toBe(id)
  })
})

/** A session store whose reads the test answers by hand, in order. */
function manualStore() {
  const calls: Array<{ sessionId: string; answer: (error: unknown, data?: SessionData | null) => void }> = []
  return {
    calls,
    get(sessionId: string, callback: (error: unknown, data?: SessionData | null) => void) {
      calls.push({ sessionId, answer: callback })
    },
  }
}

const admin = (email: string) => ({ cookie: {}, adminUser: { email } }) as unknown as SessionData
const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('SessionReads', () => {
  test('readers that come during a read share the next one; the first reader alone gets the first', async () => {
    const store = manualStore()
    const reads = new SessionReads(store)
    const first = reads.read('s1')
    expect(store.calls).toHaveLength(1)
    // Logged out meanwhile: whoever comes now must not get the answer of the read already sent.
    const later = Array.from({ length: 50 }, () => reads.read('s1'))
    expect(store.calls).toHaveLength(1)
    store.calls[0]!.answer(null, admin('alice@example.com'))
    expect(await first).toMatchObject({ adminUser: { email: 'alice@example.com' } })
    await tick()
    expect(store.calls).toHaveLength(2)
    store.calls[1]!.answer(null, null)
    expect(await Promise.all(later)).toEqual(Array(50).fill(null))
    // Nothing under way: the next reader reads at once.
    void reads.read('s1')
    expect(store.calls).toHaveLength(3)
  })

  test('other sessions are read on their own; an error reaches the readers that shared the read, and the next read is afresh', async () => {
    const store = manualStore()
    const reads = new SessionReads(store)
    const a = reads.read('a')
    const b = reads.read('b')
    expect(store.calls.map((c) => c.sessionId)).toEqual(['a', 'b'])
    const a2 = reads.read('a')
    store.calls[0]!.answer(new Error('store down'))
    await expect(a).rejects.toThrow('store down')
    await tick()
    store.calls[2]!.answer(new Error('still down'))
    await expect(a2).rejects.toThrow('still down')
    store.calls[1]!.answer(Object.assign(new Error('no file'), { code: 'ENOENT' }))
    expect(await b).toBeNull() // express-session's reading of ENOENT
    const a3 = reads.read('a')
    expect(store.calls).toHaveLength(4)
    store.calls[3]!.answer(null, admin('bob@example.com'))
    expect(await a3).toMatchObject({ adminUser: { email: 'bob@example.com' } })
  })

  test('a read that never answers holds later readers for at most two seconds', async () => {
    const store = manualStore()
    const reads = new SessionReads(store)
    const realNow = Date.now
    let now = realNow()
    Date.now = () => now
    try {
      void reads.read('s')
      void reads.read('s') // waits behind the first
      expect(store.calls).toHaveLength(1)
      now += 2_001
      const fresh = reads.read('s')
      expect(store.calls).toHaveLength(2)
      store.calls[1]!.answer(null, admin('carol@example.com'))
      expect(await fresh).toMatchObject({ adminUser: { email: 'carol@example.com' } })
    } finally {
      Date.now = realNow
    }
  })

  test('get() answers as a session store does', async () => {
    const store = manualStore()
    const reads = new SessionReads(store)
    const answer = new Promise<unknown>((resolve) => reads.get('s', (error, data) => resolve({ error, data })))
    store.calls[0]!.answer(null, admin('dave@example.com'))
    expect(await answer).toMatchObject({ error: null, data: { adminUser: { email: 'dave@example.com' } } })
  })
})

/**
 * The edit lock over real sockets: a real AdminJS app with @adminjs/express login, real
 * socket.io-client connections carrying the session cookie.
 */
import { ErrorCode, type JoinReply, type LockStateEvent } from '../src/protocol.js'
import { loginAll, startTestApp, storeOptions, type TestApp } from './support/app.js'
import { newTabToken, nextEvent, openSocket, recordEvents, refusalFor, request, unwrap } from './support/clients.js'
import { RecordTabs } from './support/record-tabs.js'

// The same behaviour with the embedded memory store and with Redis (a real redis-server).
describe.each(['memory', 'redis'] as const)('with the %s store', (store) => {
  const post = { resourceId: 'Post', recordId: '1' }
  let app: TestApp
  let cookies: Awaited<ReturnType<typeof loginAll>>
  const tabs = new RecordTabs(() => app.url)
  const tab = (cookie: string) => tabs.open(cookie)
  const joinAs = (cookie: string, ref = post, intent: 'edit' | 'show' = 'edit', token = newTabToken()) => tabs.join(cookie, ref, intent, token)

  beforeAll(async () => {
    app = await startTestApp({ reconnectGraceMs: 300, ...storeOptions(store) })
    cookies = await loginAll(app)
  })

  afterEach(() => tabs.closeAll())

  afterAll(async () => {
    await app?.close()
  })

  describe('handshake', () => {
    // Refused before the WebSocket opens, so the client only sees the upgrade fail; the page learns
    // why from the refusal probe beside the socket path.
    test('is refused without a logged-in session', async () => {
      await expect(openSocket(app.url)).rejects.toThrow('websocket error')
      expect(await refusalFor(app.url, { origin: app.url })).toBe(ErrorCode.Unauthenticated)
    })

    test('is refused with a forged session cookie', async () => {
      await expect(openSocket(app.url, { cookie: 'adminjs=s%3Aforged.signature' })).rejects.toThrow('websocket error')
      expect(await refusalFor(app.url, { cookie: 'adminjs=s%3Aforged.signature', origin: app.url })).toBe(ErrorCode.Unauthenticated)
    })

    test('is accepted with the admin session cookie', async () => {
      const socket = await tab(cookies.alice)
      expect(socket.connected).toBe(true)
    })

    test('is refused from a foreign origin, accepted from the admin origin', async () => {
      await expect(openSocket(app.url, { cookie: cookies.alice, origin: 'http://evil.example' })).rejects.toThrow()
      const socket = await openSocket(app.url, { cookie: cookies.alice, origin: app.url })
      expect(socket.connected).toBe(true)
      socket.close()
    })

    test('is refused for another protocol version', async () => {
      await expect(openSocket(app.url, { cookie: cookies.alice, version: 999 })).rejects.toMatchObject({ data: { code: ErrorCode.VersionMismatch } })
    })
  })

  describe('joining a record', () => {
    test('the first editor gets the lock, the second sees who holds it', async () => {
      const alice = await joinAs(cookies.alice)
      expect(alice.reply.lease?.tabId).toBe(alice.reply.tabId)
      expect(alice.reply.lease?.user.name).toBe('Alice Martin')
      const bob = await joinAs(cookies.bob)
      expect(bob.reply.lease?.user.id).toBe(alice.reply.user.id)
      expect(bob.reply.lease?.tabId).not.toBe(bob.reply.tabId)
      expect(bob.reply.lease?.fence).toBe(alice.reply.lease?.fence)
    })

    test('a user without edit permission is refused the edit page but may view', async () => {
      const socket = await tab(cookies.dave)
      const refused = await request<JoinReply>(socket, 'record:join', { ...post, tabToken: newTabToken(), intent: 'edit' })
      expect(refused).toMatchObject({ ok: false, error: { code: ErrorCode.Forbidden } })
      const viewing = await request<JoinReply>(socket, 'record:join', { ...post, tabToken: newTabToken(), intent: 'show' })
      expect(viewing.ok).toBe(true)
    })

    test('joins of one record at once share its lookup, and each is judged by its own permission', async () => {
      const third = { resourceId: 'Post', recordId: '3' }
      const resource = app.admin.findResource('Post')
      const findOne = resource.findOne
      let lookups = 0
      // A slow lookup, so that every join below comes while the first one is under way.
      resource.findOne = async (...args) => {
        lookups += 1
        await new Promise((resolve) => setTimeout(resolve, 300))
        return findOne.apply(resource, args)
      }
      try {
        const sockets = await Promise.all([...Array(6).fill(cookies.alice), cookies.dave, cookies.dave].map((cookie: string) => tab(cookie)))
        const replies = await Promise.all(sockets.map((socket) => request<JoinReply>(socket, 'record:join', { ...third, tabToken: newTabToken(), intent: 'edit' })))
        // Dave may only view: his joins are refused although they shared the record's lookup.
        expect(replies.map((reply) => (reply.ok ? 'ok' : reply.error.code))).toEqual([...Array(6).fill('ok'), ErrorCode.Forbidden, ErrorCode.Forbidden])
        // The first join's lookup, and the one that all who came during it share: not eight.
        expect(lookups).toBe(2)
        // A join that comes later reads the record again.
        unwrap(await request(sockets[0]!, 'record:leave', third))
        unwrap(await request<JoinReply>(sockets[0]!, 'record:join', { ...third, tabToken: newTabToken(), intent: 'show' }))
        expect(lookups).toBe(3)
        for (const socket of sockets.slice(0, 6)) unwrap(await request(socket, 'record:leave', third))
      } finally {
        resource.findOne = findOne
      }
    })

    test('unknown resources and records are not found', async () => {
      const socket = await tab(cookies.alice)
      const noResource = await request(socket, 'record:join', { resourceId: 'Nope', recordId: '1', tabToken: newTabToken(), intent: 'edit' })
      expect(noResource).toMatchObject({ ok: false, error: { code: ErrorCode.NotFound } })
      const noRecord = await request(socket, 'record:join', { resourceId: 'Post', recordId: '999999', tabToken: newTabToken(), intent: 'edit' })
      expect(noRecord).toMatchObject({ ok: false, error: { code: ErrorCode.NotFound } })
      const notAnId = await request(socket, 'record:join', { resourceId: 'Post', recordId: 'not-a-number', tabToken: newTabToken(), intent: 'edit' })
      expect(notAnId).toMatchObject({ ok: false, error: { code: ErrorCode.NotFound } })
    })

    test('records with UUID ids lock like any other', async () => {
      const [page] = await app.pageIds()
      const ref = { resourceId: 'Page', recordId: page! }
      const alice = await joinAs(cookies.alice, ref)
      expect(alice.reply.lease?.tabId).toBe(alice.reply.tabId)
      const bob = await joinAs(cookies.bob, ref)
      expect(bob.reply.lease?.user.name).toBe('Alice Martin')
    })
  })

  describe('malformed input', () => {
    test('gets an error acknowledgement and changes nothing', async () => {
      const alice = await joinAs(cookies.alice)
      const bob = await tab(cookies.bob)
      const seenByAlice = recordEvents<LockStateEvent>(alice.socket, 'lock:state')
      const bad: unknown[] = [
        undefined,
        'a string',
        { ...post },
        { ...post, tabToken: newTabToken(), intent: 'own-it' },
        { ...post, tabToken: newTabToken(), intent: 'edit', extra: true },
        { ...post, recordId: 42, tabToken: newTabToken(), intent: 'edit' },
        { ...post, tabToken: 'short', intent: 'edit' },
        { ...post, tabToken: '../../etc/passwd-0123456789', intent: 'edit' },
      ]
      for (const payload of bad) {
        const reply = await request(bob, 'record:join', payload)
        expect(reply).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidPayload } })
      }
      const oversized = await request(bob, 'record:join', { ...post, recordId: 'x'.repeat(20_000), tabToken: newTabToken(), intent: 'edit' })
      expect(oversized).toMatchObject({ ok: false, error: { code: ErrorCode.PayloadTooLarge } })
      const unknown = await request(bob, 'lock:steal', post)
      expect(unknown).toMatchObject({ ok: false, error: { code: ErrorCode.UnknownEvent } })
      const notJoined = await request(bob, 'lock:claim', post)
      expect(notJoined).toMatchObject({ ok: false, error: { code: ErrorCode.NotJoined } })
      // Still connected, alice still holds the lock, and she heard nothing of it.
      expect(bob.connected).toBe(true)
      const check = await joinAs(cookies.carol)
      expect(check.reply.lease?.tabId).toBe(alice.reply.tabId)
      expect(seenByAlice).toEqual([])
    })

    test('a flood of events is rate limited', async () => {
      const bob = await tab(cookies.bob)
      const replies = await Promise.all(Array.from({ length: 80 }, () => request(bob, 'lock:claim', post)))
      const limited = replies.filter((reply) => !reply.ok && reply.error.code === ErrorCode.RateLimited)
      expect(limited.length).toBeGreaterThan(0)
      expect(bob.connected).toBe(true)
    })
  })

  describe('handing the lock on', () => {
    test('when the editor leaves, waiting editors are told and one claim wins', async () => {
      const alice = await joinAs(cookies.alice)
      const bob = await joinAs(cookies.bob)
      const carol = await joinAs(cookies.carol)
      const freed = Promise.all([bob, carol].map((v) => nextEvent<LockStateEvent>(v.socket, 'lock:state', (s) => s.lease === null)))
      unwrap(await request(alice.socket, 'record:leave', post))
      await freed
      const claims = await Promise.all([bob, carol].map((v) => request<LockStateEvent>(v.socket, 'lock:claim', post)))
      const holders = new Set(claims.map((c) => unwrap(c).lease?.tabId))
      expect(holders.size).toBe(1)
      const winner = [...holders][0]
      expect([bob.reply.tabId, carol.reply.tabId]).toContain(winner)
    })

    test('a vanished editor frees the record after the reconnect grace', async () => {
      const alice = await joinAs(cookies.alice)
      const bob = await joinAs(cookies.bob)
      const freed = nextEvent<LockStateEvent>(bob.socket, 'lock:state', (s) => s.lease === null, 3000)
      const startedAt = Date.now()
      alice.socket.close()
      await freed
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250)
      expect(unwrap(await request<LockStateEvent>(bob.socket, 'lock:claim', post)).lease?.tabId).toBe(bob.reply.tabId)
    })

    test('the same tab reconnecting within the grace keeps the lock', async () => {
      const token = newTabToken()
      const alice = await joinAs(cookies.alice, post, 'edit', token)
      const bob = await joinAs(cookies.bob)
      const bobSaw = recordEvents<LockStateEvent>(bob.socket, 'lock:state')
      alice.socket.close()
      const back = await joinAs(cookies.alice, post, 'edit', token)
      expect(back.reply.lease?.tabId).toBe(alice.reply.tabId)
      expect(back.reply.lease?.fence).toBe(alice.reply.lease?.fence)
      // Past the grace, nothing was freed.
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(bobSaw.filter((s) => s.lease === null)).toEqual([])
      expect(unwrap(await request<LockStateEvent>(bob.socket, 'lock:claim', post)).lease?.tabId).toBe(alice.reply.tabId)
    })

    test("another user's token does not grant the lock", async () => {
      const token = newTabToken()
      const alice = await joinAs(cookies.alice, post, 'edit', token)
      const bob = await joinAs(cookies.bob, post, 'edit', token)
      expect(bob.reply.lease?.user.name).toBe('Alice Martin')
      expect(alice.reply.lease?.tabId).toBe(alice.reply.tabId)
    })
  })

  describe('two tabs of one user', () => {
    test('the second tab is a viewer until it takes over; the first is told', async () => {
      const first = await joinAs(cookies.alice)
      const second = await joinAs(cookies.alice)
      expect(second.reply.lease?.tabId).toBe(first.reply.tabId)
      expect(second.reply.lease?.tabId).not.toBe(second.reply.tabId)
      const firstTold = nextEvent<LockStateEvent>(first.socket, 'lock:state', (s) => s.lease?.tabId === second.reply.tabId)
      const moved = unwrap(await request<LockStateEvent>(second.socket, 'lock:takeover', post))
      expect(moved.lease?.tabId).toBe(second.reply.tabId)
      expect(moved.lease!.fence).toBeGreaterThan(first.reply.lease!.fence)
      await firstTold
    })

    test('another user cannot take over', async () => {
      const alice = await joinAs(cookies.alice)
      const bob = await joinAs(cookies.bob)
      const reply = await request(bob.socket, 'lock:takeover', post)
      expect(reply).toMatchObject({ ok: false, error: { code: ErrorCode.LockHeld } })
      const check = await joinAs(cookies.carol)
      expect(check.reply.lease?.tabId).toBe(alice.reply.tabId)
    })
  })
})

/**
 * Attention requests and hand-over over real sockets: only the editor's tab is told, the server
 * enforces the interval, and a hand-over is atomic even when a third editor claims at that moment.
 */
import { ErrorCode, type AttentionReply, type AttentionRequestedEvent, type JoinReply, type LockStateEvent } from '../src/protocol.js'
import { loginAll, startTestApp, storeOptions, type TestApp } from './support/app.js'
import { newTabToken, nextEvent, openSocket, recordEvents, request, unwrap } from './support/clients.js'
import { RecordTabs } from './support/record-tabs.js'

const post = { resourceId: 'Post', recordId: '3' }

describe.each(['memory', 'redis'] as const)('with the %s store', (store) => {
  let app: TestApp
  let cookies: Awaited<ReturnType<typeof loginAll>>
  const tabs = new RecordTabs(() => app.url)
  const join = (cookie: string, intent: 'edit' | 'show' = 'edit') => tabs.join(cookie, post, intent)

  beforeAll(async () => {
    app = await startTestApp({ ...storeOptions(store), notificationRequestIntervalMs: 1000 })
    cookies = await loginAll(app)
  })

  afterEach(() => tabs.closeAll())

  afterAll(async () => {
    await app?.close()
  })

  test("reaches the editor's tab only, once per interval", async () => {
    const alice = await join(cookies.alice)
    const aliceOtherTab = await join(cookies.alice, 'show')
    const bob = await join(cookies.bob)
    const carol = await join(cookies.carol)
    const editorHeard = recordEvents<AttentionRequestedEvent>(alice.socket, 'attention:requested')
    const othersHeard = [aliceOtherTab, carol, bob].map((v) => recordEvents<AttentionRequestedEvent>(v.socket, 'attention:requested'))

    const told = nextEvent<AttentionRequestedEvent>(alice.socket, 'attention:requested')
    const first = unwrap(await request<AttentionReply>(bob.socket, 'attention:request', post))
    expect(first.retryInMs).toBe(1000)
    expect(await told).toMatchObject({ ...post, from: { name: 'Bob Chen' }, fromTabId: bob.reply.tabId })

    const tooSoon = await request<AttentionReply>(bob.socket, 'attention:request', post)
    expect(tooSoon).toMatchObject({ ok: false, error: { code: ErrorCode.RateLimited } })
    const retryInMs = tooSoon.ok ? 0 : tooSoon.error.retryInMs!
    expect(retryInMs).toBeGreaterThan(0)
    expect(retryInMs).toBeLessThanOrEqual(1000)
    // Carol's interval is her own.
    unwrap(await request<AttentionReply>(carol.socket, 'attention:request', post))

    // Once the interval has passed, bob may ask again.
    await new Promise((resolve) => setTimeout(resolve, retryInMs + 50))
    const toldAgain = nextEvent<AttentionRequestedEvent>(alice.socket, 'attention:requested', (e) => e.from.name === 'Bob Chen')
    unwrap(await request<AttentionReply>(bob.socket, 'attention:request', post))
    await toldAgain
    expect(editorHeard.map((e) => e.from.name)).toEqual(['Bob Chen', 'Carol Diaz', 'Bob Chen'])
    expect(othersHeard.map((events) => events.length)).toEqual([0, 0, 0])
  })

  test('is refused when nobody edits, and for the editor', async () => {
    const bob = await join(cookies.bob, 'show')
    expect(await request(bob.socket, 'attention:request', post)).toMatchObject({ ok: false, error: { code: ErrorCode.NotFound } })
    const alice = await join(cookies.alice)
    expect(await request(alice.socket, 'attention:request', post)).toMatchObject({ ok: false, error: { code: ErrorCode.Forbidden } })
  })

  test('cannot hand over to a tab that did not ask, nor from a tab that does not hold', async () => {
    const alice = await join(cookies.alice)
    const bob = await join(cookies.bob)
    expect(await request(alice.socket, 'lock:handover', { ...post, toTabId: bob.reply.tabId })).toMatchObject({ ok: false, error: { code: ErrorCode.NotFound } })
    const carol = await join(cookies.carol)
    await request(carol.socket, 'attention:request', post)
    expect(await request(bob.socket, 'lock:handover', { ...post, toTabId: carol.reply.tabId })).toMatchObject({ ok: false })
    const check = await join(cookies.carol, 'show')
    expect(check.reply.lease?.tabId).toBe(alice.reply.tabId)
  })
})

test('a hand-over is atomic while a third editor claims at the same moment', async () => {
  // No interval here, so bob may ask every round.
  const app = await startTestApp({ ...storeOptions('redis'), notificationRequestIntervalMs: 0 })
  const cookies = await loginAll(app)
  const open = async (cookie: string) => {
    const socket = await openSocket(app.url, { cookie })
    const reply = unwrap(await request<JoinReply>(socket, 'record:join', { ...post, tabToken: newTabToken(), intent: 'edit' }))
    return { socket, reply }
  }
  try {
    for (let round = 0; round < 20; round++) {
      const [alice, bob, carol] = [await open(cookies.alice), await open(cookies.bob), await open(cookies.carol)]
      expect(alice.reply.lease?.tabId).toBe(alice.reply.tabId)
      unwrap(await request(bob.socket, 'attention:request', post))
      const aliceTold = nextEvent<LockStateEvent>(alice.socket, 'lock:state', (s) => s.lease?.tabId === bob.reply.tabId)
      const [handedOver, carolClaim] = await Promise.all([
        request<LockStateEvent>(alice.socket, 'lock:handover', { ...post, toTabId: bob.reply.tabId }),
        request<LockStateEvent>(carol.socket, 'lock:claim', post),
      ])
      expect(unwrap(handedOver).lease?.tabId).toBe(bob.reply.tabId)
      expect(unwrap(carolClaim).lease?.tabId).not.toBe(carol.reply.tabId)
      await aliceTold
      // The new holder confirms with a claim: a renewal of the lease it was given, newer fence.
      const confirmed = unwrap(await request<LockStateEvent>(bob.socket, 'lock:claim', post))
      expect(confirmed.lease?.tabId).toBe(bob.reply.tabId)
      expect(confirmed.lease!.fence).toBeGreaterThan(alice.reply.lease!.fence)
      for (const { socket } of [alice, bob, carol]) {
        await request(socket, 'record:leave', post)
        socket.close()
      }
    }
  } finally {
    await app.close()
  }
})

/**
 * `record:unload`, the page's "I am going away" on `pagehide`, with real socket.io-client sockets
 * and each store. The reconnect grace is long here and the reload window short, so a record that
 * frees before the grace could end was freed by the signal. An editor's signal frees its record
 * after the reload window, unless the same tab joins again within it (a reload). The signal only
 * ever shortens the sender's own lease: a viewer's, a copied token's (another user's) and the same
 * user's other tab's change nothing. Bad payloads are refused and the server stays up. With Redis,
 * the lease is read directly by a connection of the test's own.
 */
import { Redis } from 'ioredis'
import { ErrorCode, type JoinReply, type LockStateEvent } from '../src/protocol.js'
import { loginAll, startTestApp, storeOptions, type TestApp } from './support/app.js'
import { newTabToken, nextEvent, openSocket, recordEvents, request, unwrap, type TestSocket } from './support/clients.js'

const post1 = { resourceId: 'Post', recordId: '1' }
const LOCK_TTL_MS = 3000
/** Slower than the reload window: a lease the window ended is not renewed back before it ends. */
const HEARTBEAT_MS = 1000
/** Far longer than any wait below: a lock freed within a wait was not freed by the grace. */
const RECONNECT_GRACE_MS = 60_000
const RELOAD_GRACE_MS = 300
/** Long enough for the reload window to have ended several times over, and two heartbeats. */
const PAST_THE_WINDOW_MS = RELOAD_GRACE_MS + 2 * HEARTBEAT_MS
/** How long a test waits for the freed lock: generous, yet far below the reconnect grace. */
const FREED_WITHIN_MS = 10_000

const lockKey = (prefix: string, ref: { resourceId: string; recordId: string }) => `${prefix}lock:{${encodeURIComponent(ref.resourceId)}:${encodeURIComponent(ref.recordId)}}`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.each(['memory', 'redis'] as const)('with the %s store', (kind) => {
  let app: TestApp
  let cookies: Awaited<ReturnType<typeof loginAll>>
  let redis: Redis | undefined
  let prefix = ''
  const sockets: TestSocket[] = []
  const warnings: string[] = []
  const logger = { info: () => undefined, warn: (message: unknown) => warnings.push(String(message)), error: (message: unknown) => warnings.push(String(message)) }

  beforeAll(async () => {
    const store = storeOptions(kind)
    prefix = store.redisKeyPrefix ?? ''
    app = await startTestApp(
      {
        ...store,
        lockTtlMs: LOCK_TTL_MS,
        heartbeatIntervalMs: HEARTBEAT_MS,
        reconnectGraceMs: RECONNECT_GRACE_MS,
        reloadGraceMs: RELOAD_GRACE_MS,
        eventsPerSecond: 1000,
      },
      { logger },
    )
    cookies = await loginAll(app)
    if (kind === 'redis') redis = new Redis(process.env.TEST_REDIS_URL!)
  })

  afterEach(async () => {
    // Every socket leaves first (releasing at once), so no test waits out another's grace.
    const closing = sockets.splice(0)
    await Promise.all(closing.map((socket) => (socket.connected ? request(socket, 'record:leave', post1) : null)))
    for (const socket of closing) socket.close()
  })

  afterAll(async () => {
    redis?.disconnect()
    await app?.close()
  })

  async function tab(cookie: string): Promise<TestSocket> {
    const socket = await openSocket(app.url, { cookie })
    sockets.push(socket)
    return socket
  }

  async function join(socket: TestSocket, intent: 'edit' | 'show' = 'edit', token = newTabToken()) {
    return { reply: unwrap(await request<JoinReply>(socket, 'record:join', { ...post1, tabToken: token, intent })), token }
  }

  const freedHeard = (socket: TestSocket) => nextEvent<LockStateEvent>(socket, 'lock:state', (s) => s.recordId === post1.recordId && s.lease === null, FREED_WITHIN_MS)

  test("an editor's tab that unloads and closes frees the record after the reload window, not the reconnect grace", async () => {
    const alice = await tab(cookies.alice)
    await join(alice)
    const bob = await tab(cookies.bob)
    const waiting = await join(bob)
    expect(waiting.reply.lease?.user.name).toBe('Alice Martin')

    const freed = freedHeard(bob)
    expect(await request(alice, 'record:unload', post1)).toEqual({ ok: true, data: null })
    alice.close()
    await freed
    if (redis) expect(await redis.exists(lockKey(prefix, post1))).toBe(0)
    expect(unwrap(await request<LockStateEvent>(bob, 'lock:claim', post1)).lease?.tabId).toBe(waiting.reply.tabId)
  })

  test('a reload (unload, close, the same tab joining again within the window) keeps the lock, same fence', async () => {
    const alice = await tab(cookies.alice)
    const held = await join(alice)
    const fence = held.reply.lease!.fence
    const bob = await tab(cookies.bob)
    await join(bob)
    const heard = recordEvents<LockStateEvent>(bob, 'lock:state')

    unwrap(await request(alice, 'record:unload', post1))
    alice.close()
    const reloaded = await tab(cookies.alice)
    const again = await join(reloaded, 'edit', held.token)
    expect(again.reply.lease).toMatchObject({ fence, tabId: held.reply.tabId })

    // Past the window, and past the lease's TTL: still hers, renewed by the server for the new socket.
    await sleep(Math.max(PAST_THE_WINDOW_MS, LOCK_TTL_MS + HEARTBEAT_MS))
    expect(heard.filter((s) => s.lease?.tabId !== held.reply.tabId)).toEqual([])
    expect(unwrap(await request<LockStateEvent>(bob, 'lock:claim', post1)).lease).toMatchObject({ fence, user: { name: 'Alice Martin' } })
    if (redis) expect(await redis.hgetall(lockKey(prefix, post1))).toMatchObject({ token: held.token, userId: 'alice' })
  }, 20_000)

  test("the reloaded tab's join overtaking the old page's unload keeps the lock", async () => {
    const alice = await tab(cookies.alice)
    const held = await join(alice)
    const fence = held.reply.lease!.fence
    const bob = await tab(cookies.bob)
    await join(bob)
    const heard = recordEvents<LockStateEvent>(bob, 'lock:state')

    const reloaded = await tab(cookies.alice)
    expect((await join(reloaded, 'edit', held.token)).reply.lease).toMatchObject({ fence, tabId: held.reply.tabId })
    unwrap(await request(alice, 'record:unload', post1))
    alice.close()

    await sleep(Math.max(PAST_THE_WINDOW_MS, LOCK_TTL_MS + HEARTBEAT_MS))
    expect(heard.filter((s) => s.lease?.tabId !== held.reply.tabId)).toEqual([])
    expect(unwrap(await request<LockStateEvent>(bob, 'lock:claim', post1)).lease).toMatchObject({ fence, user: { name: 'Alice Martin' } })
  }, 20_000)

  test('a tab that unloads but stays connected is not renewed: its lock ends after the window', async () => {
    const alice = await tab(cookies.alice)
    await join(alice)
    const bob = await tab(cookies.bob)
    await join(bob)
    const freed = freedHeard(bob)
    unwrap(await request(alice, 'record:unload', post1))
    await freed
    expect(alice.connected).toBe(true)
    // It may claim again like anyone (it is still on the record); here bob is first.
    expect(unwrap(await request<LockStateEvent>(bob, 'lock:claim', post1)).lease?.user.name).toBe('Bob Chen')
    expect(unwrap(await request<LockStateEvent>(alice, 'lock:claim', post1)).lease?.user.name).toBe('Bob Chen')
  })

  test("a viewer's unload, a copied token's and the same user's other tab's change nothing", async () => {
    const alice = await tab(cookies.alice)
    const held = await join(alice)
    const fence = held.reply.lease!.fence
    const dave = await tab(cookies.dave)
    await join(dave, 'show')
    const heard = recordEvents<LockStateEvent>(dave, 'lock:state')

    // Carol waits on the edit page, and unloads: a viewer has no lease to shorten.
    const carol = await tab(cookies.carol)
    await join(carol)
    expect(await request(carol, 'record:unload', post1)).toEqual({ ok: true, data: null })
    // Mallory is bob, an editor, with alice's token copied from her form.
    const mallory = await tab(cookies.bob)
    const stolen = await join(mallory, 'edit', held.token)
    expect(stolen.reply.lease).toMatchObject({ fence, user: { name: 'Alice Martin' } })
    expect(await request(mallory, 'record:unload', post1)).toEqual({ ok: true, data: null })
    // Alice's other tab ("You are editing this record in another tab") unloads, and closes.
    const otherTab = await tab(cookies.alice)
    await join(otherTab)
    unwrap(await request(otherTab, 'record:unload', post1))
    // A show page's unload (dave, a reader) too.
    unwrap(await request(dave, 'record:unload', post1))
    for (const socket of [carol, mallory, otherTab]) socket.close()

    // Alice's lease outlives the window and its TTL: same fence, renewed, nobody told otherwise.
    await sleep(Math.max(PAST_THE_WINDOW_MS, LOCK_TTL_MS + HEARTBEAT_MS))
    expect(heard.filter((s) => s.lease?.tabId !== held.reply.tabId)).toEqual([])
    expect(unwrap(await request<LockStateEvent>(alice, 'lock:claim', post1)).lease).toMatchObject({ fence, tabId: held.reply.tabId })
    if (redis) {
      expect(await redis.hgetall(lockKey(prefix, post1))).toMatchObject({ token: held.token, userId: 'alice' })
      expect(await redis.pttl(lockKey(prefix, post1))).toBeGreaterThan(LOCK_TTL_MS - 2 * HEARTBEAT_MS)
    }
  }, 20_000)

  test('bad payloads are refused with a code, change nothing, and the server stays up', async () => {
    const alice = await tab(cookies.alice)
    const held = await join(alice)
    const bad: unknown[] = [
      null,
      'Post/1',
      42,
      [],
      {},
      { resourceId: 'Post' },
      { ...post1, tabToken: held.token },
      { resourceId: 'Post', recordId: 1 },
      { resourceId: '', recordId: '1' },
      { resourceId: 'Post', recordId: 'x'.repeat(600) },
      { __proto__: { resourceId: 'Post', recordId: '1' } },
    ]
    for (const payload of bad) {
      expect(await request(alice, 'record:unload', payload)).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidPayload } })
    }
    // Not joined: another record, another resource.
    expect(await request(alice, 'record:unload', { resourceId: 'Post', recordId: '2' })).toMatchObject({ ok: false, error: { code: ErrorCode.NotJoined } })
    expect(await request(alice, 'record:unload', { resourceId: 'Nope', recordId: '1' })).toMatchObject({ ok: false, error: { code: ErrorCode.NotJoined } })
    // Another argument shape: refused (an ack is there to say so).
    expect(await request(alice, 'record:unload', post1, 'extra')).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidPayload } })
    expect(warnings.filter((w) => w.includes('sent "record:unload" with 3 argument(s)'))).toHaveLength(1)
    // Without an ack it is dropped: nothing happens, not even the unload it names.
    ;(alice as unknown as { emit(event: string, payload: unknown): void }).emit('record:unload', post1)

    await sleep(PAST_THE_WINDOW_MS)
    expect(unwrap(await request<LockStateEvent>(alice, 'lock:claim', post1)).lease).toMatchObject({ fence: held.reply.lease!.fence, tabId: held.reply.tabId })
    // A bystander still gets through.
    const bob = await tab(cookies.bob)
    expect((await join(bob, 'show')).reply.lease?.user.name).toBe('Alice Martin')
    // Nothing failed inside: only the one line about the argument shape.
    expect(warnings.filter((w) => !w.includes('instead of (payload, ack)'))).toEqual([])
  })
})

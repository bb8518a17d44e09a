/**
 * The quiet period holds for writes: after the store lost its data (Redis restarted empty; for the
 * memory store, `simulateDataLoss`), a record may still be edited by someone whose lease is not
 * back yet, so a write by anyone but a re-asserted holder is refused with "try again in a few
 * seconds", and the re-asserted holder writes as before.
 */
import { TAB_TOKEN_PARAM, VERSION_PARAM, type JoinReply } from '../src/protocol.js'
import type { MemoryStore } from '../src/store/memory-store.js'
import { defaultTexts } from '../src/texts.js'
import { adminApi, type AdminApi, type ApiReply } from './support/admin-api.js'
import { loginAll, storeOptions } from './support/app.js'
import { newTabToken, openSocket, request, unwrap, type TestSocket } from './support/clients.js'
import { startRedisServer, type RedisServer } from './support/redis-server.mjs'
import { startSharedApps, type SharedApps } from './support/shared-apps.js'

const timings = { lockTtlMs: 4000, heartbeatIntervalMs: 400, reconnectGraceMs: 1000 }
const sockets: TestSocket[] = []
let shared: SharedApps | undefined

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close()
  await shared?.close()
  shared = undefined
})

async function holdLock(baseUrl: string, cookie: string, recordId: string) {
  const socket = await openSocket(baseUrl, { cookie })
  sockets.push(socket)
  const tabToken = newTabToken()
  const reply = unwrap(await request<JoinReply>(socket, 'record:join', { resourceId: 'Post', recordId, tabToken, intent: 'edit' }))
  expect(reply.lease?.tabId).toBe(reply.tabId)
  return tabToken
}

/** Asks until `done` holds (the store comes back, a lease is re-asserted): bounded, never a fixed sleep. */
async function until(what: string, ask: () => Promise<ApiReply>, done: (reply: ApiReply) => boolean, timeoutMs = 10_000): Promise<ApiReply> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const reply = await ask()
    if (done(reply)) return reply
    if (Date.now() > deadline) throw new Error(`${what}: last answer ${JSON.stringify(reply.body.notice)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const message = (reply: ApiReply) => reply.body.notice?.message ?? ''

async function save(api: AdminApi, cookie: string, recordId: string, title: string, tabToken?: string): Promise<ApiReply> {
  const version = await api.version(cookie, recordId)
  return api.record(cookie, recordId, 'edit', { title, [VERSION_PARAM]: version, ...(tabToken ? { [TAB_TOKEN_PARAM]: tabToken } : {}) })
}

test('memory store: after simulated data loss only the re-asserted holder writes', async () => {
  shared = await startSharedApps(1, { ...storeOptions('memory'), ...timings })
  const app = shared.apps[0]!
  const api = adminApi(app.url)
  const cookies = await loginAll(app)
  const aliceTab = await holdLock(app.url, cookies.alice, '1')
  const before2 = await shared.queries.postById(2)
  // The store is private to the Collaboration; reaching into it is the test's way to lose its data.
  ;(app.collaboration as unknown as { store: MemoryStore }).store.simulateDataLoss(timings.lockTtlMs)

  const free = await save(api, cookies.bob, '2', 'Bob in the quiet period')
  expect(free.body.notice).toMatchObject({ type: 'error', message: defaultTexts.saveQuietText })
  const deleted = await api.record(cookies.bob, '2', 'delete')
  expect(deleted.body.notice).toMatchObject({ type: 'error', message: defaultTexts.deleteQuietText })
  // Alice's server re-asserts her lease at its next heartbeat; bob stays refused either way.
  const held = await save(api, cookies.bob, '1', 'Bob on alice’s record')
  expect(held.body.notice?.type).toBe('error')
  const accepted = await until(
    'alice saving after her lease is re-asserted',
    () => save(api, cookies.alice, '1', 'Alice kept her lock', aliceTab),
    (reply) => reply.body.notice?.type === 'success',
  )
  expect(accepted.body.notice?.type).toBe('success')
  expect(message(await save(api, cookies.bob, '1', 'Bob again'))).toContain('Alice Martin is editing')
  expect((await shared.queries.postById(1))?.title).toBe('Alice kept her lock')
  expect(await shared.queries.postById(2)).toEqual(before2)
})

describe('Redis store', () => {
  let redis: RedisServer | undefined

  afterEach(async () => {
    await redis?.stop()
    redis = undefined
  })

  test('after Redis restarts empty, writes wait for the holders: refused with "try again", the re-asserted holder saves', async () => {
    redis = await startRedisServer()
    const base = { redis: redis.url, redisKeyPrefix: 'quiet:', ...timings }
    const connection = { retryDelayMs: 50, maxRetryDelayMs: 200, connectTimeoutMs: 1000, commandTimeoutMs: 1000 }
    shared = await startSharedApps(1, { ...base, redisConnection: connection })
    // The editor's process reconnects late (first retry after 2 s), the other one at once.
    const late = await shared.add({ ...base, redisConnection: { ...connection, retryDelayMs: 2000, maxRetryDelayMs: 2000 } })
    const bobsApi = adminApi(shared.apps[0]!.url)
    const alicesApi = adminApi(late.url)
    const cookies = await loginAll(late)
    const aliceTab = await holdLock(late.url, cookies.alice, '1')
    const before = { 1: await shared.queries.postById(1), 2: await shared.queries.postById(2) }

    const { port } = redis
    await redis.stop()
    redis = await startRedisServer(port)

    // Bob's process is back first: the record looks free there, and nobody's lease is back.
    const quiet = await until(
      'the store back, in its quiet period',
      () => save(bobsApi, cookies.bob, '1', 'Bob writes over alice'),
      (reply) => message(reply) !== defaultTexts.storeUnavailableText,
    )
    expect(quiet.body.notice).toMatchObject({ type: 'error', message: defaultTexts.saveQuietText })
    expect((await save(bobsApi, cookies.bob, '2', 'Bob on a free record')).body.notice).toMatchObject({ type: 'error', message: defaultTexts.saveQuietText })
    expect((await bobsApi.record(cookies.bob, '1', 'delete')).body.notice).toMatchObject({ type: 'error', message: defaultTexts.deleteQuietText })
    expect(await shared.queries.postById(1)).toEqual(before[1])
    expect(await shared.queries.postById(2)).toEqual(before[2])

    // Alice's process comes back and re-asserts her lease: she saves; bob is refused as before.
    await until(
      'alice saving once re-asserted',
      () => save(alicesApi, cookies.alice, '1', 'Alice kept her work', aliceTab),
      (reply) => reply.body.notice?.type === 'success',
    )
    expect(message(await save(bobsApi, cookies.bob, '1', 'Bob again'))).toContain('Alice Martin is editing')
    expect((await shared.queries.postById(1))?.title).toBe('Alice kept her work')
  })
})

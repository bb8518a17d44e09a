/**
 * `npm run example:split` (#15) as a newcomer runs it: one admin process and two socket processes
 * on one Redis, the sockets behind one address. Alice (token from the admin, socket on one socket
 * process) edits a post; Bob (on the other socket process: the address gives them in turn) waits,
 * sees her lock and hears her save made through the admin process.
 */
import { VERSION_PARAM, type JoinReply, type RecordSavedEvent, type SocketTokenReply } from '../src/protocol.js'
import { adminApi } from './support/admin-api.js'
import { login, newTabToken, nextEvent, openSocket, request, unwrap, type TestSocket } from './support/clients.js'
import { spawnTsx, type ChildHandle } from './support/processes.js'
import { freePort, startRedisServer, type RedisServer } from './support/redis-server.mjs'

let redis: RedisServer
let split: ChildHandle
let adminUrl: string
let socketsUrl: string
const sockets: TestSocket[] = []

beforeAll(async () => {
  redis = await startRedisServer(await freePort())
  const [port, socketsPort] = [await freePort(), await freePort()]
  adminUrl = `http://127.0.0.1:${port}`
  socketsUrl = `http://127.0.0.1:${socketsPort}`
  split = spawnTsx('example:split', 'example/split.ts', { env: { PORT: String(port), SOCKETS_PORT: String(socketsPort), REDIS_URL: redis.url, BUNDLE: 'none' } })
  const deadline = Date.now() + 90_000
  while (!split.output().includes('sockets apart:')) {
    if (!split.isRunning() || Date.now() > deadline) throw new Error(`example:split did not start:\n${split.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}, 120_000)

afterAll(async () => {
  for (const socket of sockets) socket.close()
  // SIGTERM: the launcher stops its admin and socket processes before it exits.
  split?.signal('SIGTERM')
  await Promise.race([split?.exited, new Promise((resolve) => setTimeout(resolve, 15_000))])
  await split?.kill()
  await redis?.stop()
}, 30_000)

async function tierSocket(cookie: string): Promise<TestSocket> {
  const reply = (await (await fetch(`${adminUrl}/admin/collaborator/token`, { headers: { cookie } })).json()) as SocketTokenReply
  const socket = await openSocket(socketsUrl, { token: reply.token, origin: adminUrl })
  sockets.push(socket)
  return socket
}

test('a user on the admin and one socket process edits with a user on the other socket process', async () => {
  const [alice, bob] = await Promise.all([login(adminUrl, 'alice@example.com'), login(adminUrl, 'bob@example.com')])
  const post = { resourceId: 'Post', recordId: '1' }
  const aliceTab = await tierSocket(alice)
  expect(unwrap(await request<JoinReply>(aliceTab, 'record:join', { ...post, tabToken: newTabToken(), intent: 'edit' })).lease?.user.name).toBe('Alice Martin')
  const bobTab = await tierSocket(bob)
  expect(unwrap(await request<JoinReply>(bobTab, 'record:join', { ...post, tabToken: newTabToken(), intent: 'edit' })).lease?.user.name).toBe('Alice Martin')
  // The two sockets went to the two socket processes in turn.
  expect(split.output().match(/Socket process \d+ listening/g)).toHaveLength(2)

  const saved = nextEvent<RecordSavedEvent>(bobTab, 'record:saved', undefined, 10_000)
  const api = adminApi(adminUrl)
  const version = await api.version(alice, '1')
  expect((await api.record(alice, '1', 'edit', { title: 'Saved in the split example', [VERSION_PARAM]: version })).body.notice?.type).toBe('success')
  expect(await saved).toMatchObject({ ...post, by: { name: 'Alice Martin' }, fields: ['title'] })
}, 60_000)

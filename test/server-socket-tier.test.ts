/**
 * A socket tier apart from the admin (#15), on one Redis: the admin issues connection tokens and
 * serves no sockets; two socket servers (`listen`) accept only valid, unexpired, unspent tokens of
 * the shared secret, check the origin, work as one (a lock taken on one is seen on the other), hear
 * the admin's saves and changes, and end the sockets of a session that logged out. Hostile tokens
 * get their codes.
 */
import session from 'express-session'
import { ErrorCode, VERSION_PARAM, type ChangeEvent, type JoinReply, type LockStateEvent, type RecordSavedEvent, type SocketTokenReply } from '../src/protocol.js'
import { Collaboration, type Listening } from '../src/index.js'
import { issueToken } from '../src/server/socket-token.js'
import { adminApi } from './support/admin-api.js'
import { login, newTabToken, nextEvent, openSocket, request, unwrap, type TestSocket } from './support/clients.js'
import { startTestApp, storeOptions, users, type TestApp } from './support/app.js'

const SECRET = 'the shared secret of this test admin and its tier'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let app: TestApp
const tiers: Array<{ collaboration: Collaboration; listening: Listening }> = []
const sessionStore = new session.MemoryStore()
const options = { ...storeOptions('redis'), tokenSecret: SECRET, heartbeatIntervalMs: 300, lockTtlMs: 3000 }
const sockets: TestSocket[] = []

async function token(cookie: string): Promise<string> {
  const response = await fetch(`${app.url}/admin/collaborator/token`, { headers: { cookie } })
  expect(response.status).toBe(200)
  const reply = (await response.json()) as SocketTokenReply
  expect(reply.expiresInMs).toBeGreaterThan(0)
  expect(reply.expiresInMs).toBeLessThanOrEqual(30_000)
  return reply.token
}

async function tierSocket(tier: number, cookie: string): Promise<TestSocket> {
  const socket = await openSocket(tiers[tier]!.listening.url, { token: await token(cookie), origin: app.url })
  sockets.push(socket)
  return socket
}

/** The connect_error code a handshake with these settings gets. */
async function refusedWith(settings: Parameters<typeof openSocket>[1]): Promise<string | undefined> {
  try {
    const socket = await openSocket(tiers[0]!.listening.url, settings)
    socket.close()
    return undefined
  } catch (error) {
    return (error as { data?: { code?: string } }).data?.code ?? (error as Error).message
  }
}

beforeAll(async () => {
  app = await startTestApp({ ...options, socketUrl: 'http://sockets.example.test' }, { session: { store: sessionStore, secret: 'socket-tier-test-cookie-secret' } })
  for (let i = 0; i < 2; i++) {
    const collaboration = new Collaboration({ ...options, allowedOrigins: [app.url] })
    const listening = await collaboration.listen({ port: 0, host: '127.0.0.1', admin: app.admin, session: { store: sessionStore } })
    await collaboration.ready()
    tiers.push({ collaboration, listening })
  }
}, 60_000)
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close()
})
afterAll(async () => {
  for (const { listening } of tiers) await listening.close()
  await app?.close()
})

test('the admin issues tokens to logged-in admins only, and serves no sockets itself', async () => {
  const alice = await login(app.url, users.alice)
  expect(await token(alice)).toMatch(/^v1\.[\w-]+\.[\w-]+$/)
  expect((await fetch(`${app.url}/admin/collaborator/token`)).status).toBe(401)
  expect((await fetch(`${app.url}/admin/collaborator/token`, { method: 'POST', headers: { cookie: alice } })).status).toBe(405)
  await expect(openSocket(app.url, { cookie: alice })).rejects.toBeDefined()
})

test('hostile tokens are refused with their codes: none, forged, another secret, expired, spent, of a logged-out session', async () => {
  const alice = await login(app.url, users.alice)
  expect(await refusedWith({ origin: app.url })).toBe(ErrorCode.Unauthenticated)
  const good = await token(alice)
  const [version, payload, signature] = good.split('.') as [string, string, string]
  expect(await refusedWith({ origin: app.url, token: `${version}.${payload}.${signature.slice(0, -2)}xx` })).toBe(ErrorCode.TokenInvalid)
  expect(await refusedWith({ origin: app.url, token: { token: good } })).toBe(ErrorCode.TokenInvalid)
  const sessionId = decodeURIComponent(alice.split('=')[1]!).slice(2).split('.')[0]!
  expect(await refusedWith({ origin: app.url, token: issueToken({ sessionId, userId: 'alice' }, 'another secret, of another admin', 30_000).token })).toBe(ErrorCode.TokenInvalid)
  expect(await refusedWith({ origin: app.url, token: issueToken({ sessionId, userId: 'alice' }, SECRET, 1).token })).toBe(ErrorCode.TokenExpired)
  // Signed with the right secret but naming another user than the session's.
  expect(await refusedWith({ origin: app.url, token: issueToken({ sessionId, userId: 'bob' }, SECRET, 30_000).token })).toBe(ErrorCode.Unauthenticated)
  // A token opens one connection, on whichever process: the second use is refused.
  expect(await refusedWith({ origin: app.url, token: good })).toBeUndefined()
  expect(await refusedWith({ origin: app.url, token: good })).toBe(ErrorCode.TokenReplayed)
  const onOther = await token(alice)
  expect(await refusedWith({ origin: app.url, token: onOther })).toBeUndefined()
  await expect(openSocket(tiers[1]!.listening.url, { token: onOther, origin: app.url })).rejects.toMatchObject({ data: { code: ErrorCode.TokenReplayed } })
  // A foreign page is refused before the WebSocket opens (as on the admin), before its token is
  // looked at: the token is not spent, and still opens a connection from the admin's page.
  const stolen = await token(alice)
  expect(await refusedWith({ origin: 'https://evil.example', token: stolen })).toBe('websocket error')
  expect(await refusedWith({ origin: app.url, token: stolen })).toBeUndefined()
  // A token issued before its session logged out opens nothing.
  const carol = await login(app.url, users.carol)
  const beforeLogout = await token(carol)
  await fetch(`${app.url}/admin/logout`, { headers: { cookie: carol }, redirect: 'manual' })
  expect(await refusedWith({ origin: app.url, token: beforeLogout })).toBe(ErrorCode.Unauthenticated)
})

test('two socket servers act as one, hear the admin’s saves and changes, and end the sockets of a logged-out session', async () => {
  const [alice, bob] = await Promise.all([login(app.url, users.alice), login(app.url, users.bob)])
  const post = { resourceId: 'Post', recordId: '2' }
  const aliceTab = await tierSocket(0, alice)
  const joined = unwrap(await request<JoinReply>(aliceTab, 'record:join', { ...post, tabToken: newTabToken(), intent: 'edit' }))
  expect(joined.lease?.user.id).toBe('alice')
  // Bob, on the other socket server, sees Alice's lock and waits.
  const bobTab = await tierSocket(1, bob)
  const bobJoin = unwrap(await request<JoinReply>(bobTab, 'record:join', { ...post, tabToken: newTabToken(), intent: 'edit' }))
  expect(bobJoin.lease?.user.id).toBe('alice')
  await sleep(100)

  // Alice saves through the admin: both servers' pages hear it.
  const saved = nextEvent<RecordSavedEvent>(bobTab, 'record:saved')
  const changed = nextEvent<ChangeEvent>(bobTab, 'change:feed', (change) => change.recordId === '2')
  const api = adminApi(app.url)
  const version = await api.version(alice, '2')
  expect((await api.record(alice, '2', 'edit', { title: 'Saved through the admin', [VERSION_PARAM]: version })).body.notice?.type).toBe('success')
  expect(await saved).toMatchObject({ ...post, by: { id: 'alice' } })
  expect(await changed).toMatchObject({ kind: 'updated', title: 'Saved through the admin', fields: ['title'] })

  // Alice logs out on the admin: her socket on the tier is ended, her lock freed, and Bob gets it.
  const ended = nextEvent(aliceTab, 'session:ended', undefined, 5000)
  const freed = nextEvent<LockStateEvent>(bobTab, 'lock:state', (state) => state.lease === null || state.lease.user.id === 'bob', 8000)
  await fetch(`${app.url}/admin/logout`, { headers: { cookie: alice }, redirect: 'manual' })
  await ended
  await freed
  expect(unwrap(await request<LockStateEvent>(bobTab, 'lock:claim', post)).lease?.user.id).toBe('bob')
})

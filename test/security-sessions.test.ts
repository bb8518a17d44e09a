/**
 * A socket's rights end with its session (guarantee 8). Each test opens sockets as a logged-in admin
 * and then takes the session away the way it goes in real life: logout through @adminjs/express's
 * own route, expiry in the session store, an admin that `refreshAdmin` says was demoted or removed.
 * The sockets must be told `session:ended` (unauthenticated) and closed, their leases released at
 * once (the reconnect grace is set far longer than any wait here, so a lock that frees within the
 * test was released, not left to expire), their presence removed, and nothing they send afterwards
 * may count. Redis is read directly as an independent observer of the leases.
 */
import { randomUUID } from 'node:crypto'
import session from 'express-session'
import RedisSessionStore from 'connect-redis'
import { Redis } from 'ioredis'
import { ErrorCode, type JoinReply, type LockStateEvent, type SessionEndedEvent } from '../src/protocol.js'
import type { AdminUser, CollaborationOptions } from '../src/index.js'
import { startTestApp, storeOptions, type TestApp } from './support/app.js'
import { login, newTabToken, nextEvent, openSocket, refusalFor, request, unwrap, type TestSocket } from './support/clients.js'
import { PresenceWatch } from './support/presence-watch.js'
import { RawSocket } from './support/raw-socket.js'

const post1 = { resourceId: 'Post', recordId: '1' }
const post2 = { resourceId: 'Post', recordId: '2' }
const HEARTBEAT_MS = 300
/** Far longer than any wait below: a lease that frees meanwhile was released, not run out. */
const LONG_MS = 60_000
/** A few sweeps: how long a socket may outlive its session. */
const FEW_SWEEPS_MS = 10 * HEARTBEAT_MS

/** Short sweeps, leases that would outlive the test unless released. */
const sweeping: Partial<CollaborationOptions> = { heartbeatIntervalMs: HEARTBEAT_MS, lockTtlMs: LONG_MS, reconnectGraceMs: LONG_MS, eventsPerSecond: 1000 }
/** No sweep within a test: only the check on every join and claim can notice. */
const notSweeping: Partial<CollaborationOptions> = { heartbeatIntervalMs: LONG_MS / 3, lockTtlMs: LONG_MS, reconnectGraceMs: LONG_MS, eventsPerSecond: 1000 }

type SessionKind = 'memory' | 'redis'

/** Login storage shared by several apps, as processes behind one load balancer share it. */
class SharedLogins {
  readonly secret = randomUUID()
  readonly prefix = `test-sess:${randomUUID()}:`
  private readonly clients: Redis[] = []
  private memory: session.MemoryStore | undefined

  constructor(readonly kind: SessionKind) {}

  /** A session store for one more app: its own connect-redis client (one per process), or the one MemoryStore. */
  store(): session.Store {
    if (this.kind === 'memory') return (this.memory ??= new session.MemoryStore())
    const client = new Redis(process.env.TEST_REDIS_URL!)
    this.clients.push(client)
    return new RedisSessionStore({ client, prefix: this.prefix })
  }

  /** Ends the session the way expiry does: connect-redis's key runs out, MemoryStore forgets it. */
  async expire(cookie: string): Promise<void> {
    const sid = sessionIdOf(cookie)
    if (this.kind === 'memory') return new Promise((resolve, reject) => this.memory!.destroy(sid, (error) => (error ? reject(error) : resolve())))
    const observer = new Redis(process.env.TEST_REDIS_URL!)
    try {
      const key = `${this.prefix}${sid}`
      expect(await observer.pexpire(key, 1)).toBe(1)
      // Redis counts in whole milliseconds: a read in the same one still finds the key.
      while (await observer.exists(key)) await new Promise((resolve) => setTimeout(resolve, 2))
    } finally {
      observer.disconnect()
    }
  }

  async close(): Promise<void> {
    for (const client of this.clients.splice(0)) client.disconnect()
  }
}

/** The express-session id inside a signed cookie `name=s%3A<id>.<signature>`. */
function sessionIdOf(cookie: string): string {
  const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))
  return value.slice(2, value.lastIndexOf('.'))
}

/** Logs out through @adminjs/express's own route, as the admin's "Log out" link does. */
async function logout(app: TestApp, cookie: string): Promise<void> {
  const response = await fetch(`${app.adminUrl}/logout`, { headers: { cookie }, redirect: 'manual' })
  expect(response.status).toBe(302)
  expect(response.headers.get('location')).toBe('/admin/login')
}

/** Resolves once the server told the socket its session ended and then closed it. */
function endOf(socket: TestSocket, timeoutMs = FEW_SWEEPS_MS): Promise<{ ended: SessionEndedEvent; reason: string }> {
  const ended = nextEvent<SessionEndedEvent>(socket, 'session:ended', () => true, timeoutMs)
  const closed = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not disconnected within ${timeoutMs} ms`)), timeoutMs)
    socket.once('disconnect', (reason) => {
      clearTimeout(timer)
      resolve(reason)
    })
  })
  // Handled here too: a test that fails before awaiting this must not die of its late rejection.
  for (const promise of [ended, closed]) promise.catch(() => undefined)
  return Promise.all([ended, closed]).then(([event, reason]) => ({ ended: event, reason }))
}

class Scene {
  readonly apps: TestApp[] = []
  readonly sockets: TestSocket[] = []
  readonly raws: RawSocket[] = []

  constructor(readonly logins: SharedLogins) {}

  async app(options: Partial<CollaborationOptions>): Promise<TestApp> {
    const app = await startTestApp(options, { session: { store: this.logins.store() as never, secret: this.logins.secret } })
    this.apps.push(app)
    return app
  }

  async socket(app: TestApp, cookie: string): Promise<TestSocket> {
    const socket = await openSocket(app.url, { cookie })
    this.sockets.push(socket)
    return socket
  }

  async join(app: TestApp, cookie: string, ref = post1, intent: 'edit' | 'show' = 'edit'): Promise<{ socket: TestSocket; reply: JoinReply; token: string }> {
    const socket = await this.socket(app, cookie)
    const token = newTabToken()
    const reply = unwrap(await request<JoinReply>(socket, 'record:join', { ...ref, tabToken: token, intent }))
    return { socket, reply, token }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets.splice(0)) socket.close()
    for (const raw of this.raws.splice(0)) raw.close()
    for (const app of this.apps.splice(0)) await app.close()
    await this.logins.close()
  }
}

/** The lease of a record as Redis has it (the lease hash), read with a connection of our own. */
async function leaseInRedis(prefix: string, ref: { resourceId: string; recordId: string }): Promise<Record<string, string>> {
  const observer = new Redis(process.env.TEST_REDIS_URL!)
  try {
    return await observer.hgetall(`${prefix}lock:{${encodeURIComponent(ref.resourceId)}:${encodeURIComponent(ref.recordId)}}`)
  } finally {
    observer.disconnect()
  }
}

test("logout on one process closes that user's sockets on both, frees the lock at once and removes the presence", async () => {
  // Two apps on one Redis (collaboration state and connect-redis sessions), each with its own
  // clients, as two processes behind a load balancer.
  const scene = new Scene(new SharedLogins('redis'))
  try {
    const shared = { ...storeOptions('redis'), ...sweeping }
    const a = await scene.app(shared)
    const b = await scene.app(shared)
    const alice = await login(a.url, 'alice@example.com')
    const bob = await login(b.url, 'bob@example.com')

    const editor = await scene.join(a, alice, post1, 'edit')
    expect(editor.reply.lease?.tabId).toBe(editor.reply.tabId)
    const viewer = await scene.join(b, alice, post2, 'show')
    // A raw socket too, to see that the connection itself is gone, not just quiet.
    const raw = await RawSocket.open(b.url, { cookie: alice })
    scene.raws.push(raw)
    const waiting = await scene.join(b, bob, post1, 'edit')
    expect(waiting.reply.lease?.user.name).toBe('Alice Martin')
    expect(waiting.reply.presence.map((p) => p.user.name)).toEqual(['Alice Martin', 'Bob Chen'])

    const editorEnd = endOf(editor.socket)
    const viewerEnd = endOf(viewer.socket)
    const freed = nextEvent<LockStateEvent>(waiting.socket, 'lock:state', (s) => s.recordId === '1' && s.lease === null, FEW_SWEEPS_MS)
    const bobSees = new PresenceWatch(waiting.socket, post1)
    bobSees.joined(waiting.reply)
    await logout(a, alice)

    for (const end of [await editorEnd, await viewerEnd]) {
      expect(end.ended.code).toBe(ErrorCode.Unauthenticated)
      expect(end.reason).toBe('io server disconnect')
    }
    await raw.next((f) => typeof f === 'string' && f.startsWith('42["session:ended"'), 'session:ended on the raw socket', FEW_SWEEPS_MS)
    await raw.whenClosed(FEW_SWEEPS_MS)
    // Nothing that socket could send now reaches the server.
    expect(raw.sendRaw('42["record:join",{}]')).toBe(false)

    // Released, not graced: the grace is a minute, yet the lock is free now and bob gets it.
    await freed
    await bobSees.untilNames(['Bob Chen'], FEW_SWEEPS_MS)
    const claimed = unwrap(await request<LockStateEvent>(waiting.socket, 'lock:claim', post1))
    expect(claimed.lease?.tabId).toBe(waiting.reply.tabId)
    expect(await leaseInRedis(shared.redisKeyPrefix!, post1)).toMatchObject({ token: waiting.token, userId: 'bob' })

    // The old cookie opens nothing any more, on either process, and the page is told why.
    for (const app of [a, b]) {
      await expect(openSocket(app.url, { cookie: alice })).rejects.toThrow()
      expect(await refusalFor(app.url, { cookie: alice, origin: app.url })).toBe(ErrorCode.Unauthenticated)
    }
    // Bob's own session is untouched by alice's logout.
    expect(waiting.socket.connected).toBe(true)
  } finally {
    await scene.close()
  }
}, 30_000)

describe.each(['memory', 'redis'] as const)('with the %s store and sessions', (kind) => {
  const collaboration = () => (kind === 'redis' ? storeOptions('redis') : {})

  test('an expired session ends its sockets at the next sweep and frees their lock at once', async () => {
    const scene = new Scene(new SharedLogins(kind))
    try {
      const app = await scene.app({ ...collaboration(), ...sweeping })
      const alice = await login(app.url, 'alice@example.com')
      const bob = await login(app.url, 'bob@example.com')
      const editor = await scene.join(app, alice)
      const waiting = await scene.join(app, bob)
      expect(waiting.reply.lease?.user.name).toBe('Alice Martin')

      const end = endOf(editor.socket)
      const freed = nextEvent<LockStateEvent>(waiting.socket, 'lock:state', (s) => s.lease === null, FEW_SWEEPS_MS)
      await scene.logins.expire(alice)
      expect((await end).ended.code).toBe(ErrorCode.Unauthenticated)
      await freed
      expect(unwrap(await request<LockStateEvent>(waiting.socket, 'lock:claim', post1)).lease?.tabId).toBe(waiting.reply.tabId)
    } finally {
      await scene.close()
    }
  })

  test('a join or claim on a socket whose session is gone is refused unauthenticated at once, before any sweep', async () => {
    const scene = new Scene(new SharedLogins(kind))
    try {
      const app = await scene.app({ ...collaboration(), ...notSweeping })
      const alice = await login(app.url, 'alice@example.com')
      const bob = await login(app.url, 'bob@example.com')
      const editor = await scene.join(app, alice)
      const other = await scene.socket(app, alice)
      const waiting = await scene.join(app, bob)
      await scene.logins.expire(alice)

      // The claim on the editor's socket: refused, the socket told and closed, its lock released.
      const editorEnd = endOf(editor.socket)
      const freed = nextEvent<LockStateEvent>(waiting.socket, 'lock:state', (s) => s.lease === null)
      const claim = await request(editor.socket, 'lock:claim', post1)
      expect(claim).toMatchObject({ ok: false, error: { code: ErrorCode.Unauthenticated } })
      expect((await editorEnd).ended.code).toBe(ErrorCode.Unauthenticated)
      await freed
      expect(unwrap(await request<LockStateEvent>(waiting.socket, 'lock:claim', post1)).lease?.tabId).toBe(waiting.reply.tabId)

      // A join on another socket of the same session: refused before it joins anything.
      const otherEnd = endOf(other)
      const join = await request<JoinReply>(other, 'record:join', { ...post2, tabToken: newTabToken(), intent: 'edit' })
      expect(join).toMatchObject({ ok: false, error: { code: ErrorCode.Unauthenticated } })
      await otherEnd
      const onPost2 = await scene.join(app, bob, post2, 'show')
      expect(onPost2.reply.lease).toBeNull()
      expect(onPost2.reply.presence.map((p) => p.user.name)).toEqual(['Bob Chen'])
    } finally {
      await scene.close()
    }
  })

  test('a claim that would grant a free lock to an ended session leaves no lease and is never announced', async () => {
    // The session is re-read while the store claims (one round trip, not two): the grant the store
    // made must be taken back before anyone hears of it.
    const scene = new Scene(new SharedLogins(kind))
    try {
      const options = collaboration()
      const app = await scene.app({ ...options, ...notSweeping })
      const alice = await login(app.url, 'alice@example.com')
      const bob = await login(app.url, 'bob@example.com')
      const editor = await scene.join(app, alice)
      const waiting = await scene.join(app, bob)
      const watcher = await scene.join(app, alice, post1, 'show')
      const heard: LockStateEvent[] = []
      watcher.socket.on('lock:state', (state: LockStateEvent) => heard.push(state))
      unwrap(await request(editor.socket, 'record:leave', post1))
      await scene.logins.expire(bob)

      const ended = endOf(waiting.socket)
      const claim = await request(waiting.socket, 'lock:claim', post1)
      expect(claim).toMatchObject({ ok: false, error: { code: ErrorCode.Unauthenticated } })
      await ended
      // Whoever asks next gets the record: nothing of Bob's is left in the store.
      const again = unwrap(await request<JoinReply>(editor.socket, 'record:join', { ...post1, tabToken: editor.token, intent: 'edit' }))
      expect(again.lease?.user.name).toBe('Alice Martin')
      if ('redisKeyPrefix' in options) expect(await leaseInRedis(options.redisKeyPrefix!, post1)).toMatchObject({ token: editor.token, userId: 'alice' })
      expect(heard.filter((state) => state.lease?.user.name === 'Bob Chen')).toEqual([])
    } finally {
      await scene.close()
    }
  })

  test('refreshAdmin: a demoted or removed admin is disconnected; an unchanged one stays', async () => {
    // What the app's users table says now; absent: as at login.
    const current = new Map<string, AdminUser | null>()
    const refreshAdmin = (admin: AdminUser) => (current.has(String(admin.id)) ? current.get(String(admin.id))! : admin)
    const scene = new Scene(new SharedLogins(kind))
    try {
      const app = await scene.app({ ...collaboration(), ...sweeping, refreshAdmin })
      const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => login(app.url, `${name}@example.com`)))
      const aliceTab = await scene.join(app, alice!, post1)
      const carolTab = await scene.join(app, carol!, post2)
      const bobTab = await scene.join(app, bob!, post1)

      const aliceEnd = endOf(aliceTab.socket)
      const carolEnd = endOf(carolTab.socket)
      const freed = nextEvent<LockStateEvent>(bobTab.socket, 'lock:state', (s) => s.recordId === '1' && s.lease === null, FEW_SWEEPS_MS)
      current.set('alice', { id: 'alice', email: 'alice@example.com', title: 'Alice Martin', role: 'reader' })
      current.set('carol', null)
      expect((await aliceEnd).ended).toMatchObject({ code: ErrorCode.Unauthenticated, message: expect.stringMatching(/changed/) })
      expect((await carolEnd).ended).toMatchObject({ code: ErrorCode.Unauthenticated, message: expect.stringMatching(/no longer exists/) })
      await freed
      // Sweeps have run: bob, unchanged, is still connected and gets the record.
      expect(bobTab.socket.connected).toBe(true)
      expect(unwrap(await request<LockStateEvent>(bobTab.socket, 'lock:claim', post1)).lease?.tabId).toBe(bobTab.reply.tabId)
    } finally {
      await scene.close()
    }
  })

  test('permissions are checked on every join with the admin as it is now, not as it was at the handshake', async () => {
    const current = new Map<string, AdminUser | null>()
    const refreshAdmin = (admin: AdminUser) => (current.has(String(admin.id)) ? current.get(String(admin.id))! : admin)
    const scene = new Scene(new SharedLogins(kind))
    try {
      const app = await scene.app({ ...collaboration(), ...notSweeping, refreshAdmin })
      const alice = await login(app.url, 'alice@example.com')
      const dave = await login(app.url, 'dave@example.com')
      const socket = await scene.socket(app, alice)
      unwrap(await request<JoinReply>(socket, 'record:join', { ...post1, tabToken: newTabToken(), intent: 'edit' }))
      unwrap(await request(socket, 'record:leave', post1))

      // Demoted while connected: the very next join is refused (no sweep runs in this test).
      current.set('alice', { id: 'alice', email: 'alice@example.com', title: 'Alice Martin', role: 'reader' })
      const end = endOf(socket)
      expect(await request(socket, 'record:join', { ...post1, tabToken: newTabToken(), intent: 'edit' })).toMatchObject({ ok: false, error: { code: ErrorCode.Unauthenticated } })
      await end

      // Her page reconnects (her login is still valid): she is now a reader, who may view, not edit.
      const again = await scene.socket(app, alice)
      expect(await request(again, 'record:join', { ...post1, tabToken: newTabToken(), intent: 'edit' })).toMatchObject({ ok: false, error: { code: ErrorCode.Forbidden } })
      unwrap(await request<JoinReply>(again, 'record:join', { ...post1, tabToken: newTabToken(), intent: 'show' }))
      expect(again.connected).toBe(true)

      // Promoted: dave's socket closes (his admin changed), and his next socket may edit.
      const daveSocket = await scene.socket(app, dave)
      expect(await request(daveSocket, 'record:join', { ...post2, tabToken: newTabToken(), intent: 'edit' })).toMatchObject({ ok: false, error: { code: ErrorCode.Forbidden } })
      current.set('dave', { id: 'dave', email: 'dave@example.com', title: 'Dave Okafor', role: 'editor' })
      const daveAgain = await scene.socket(app, dave)
      unwrap(await request<JoinReply>(daveAgain, 'record:join', { ...post2, tabToken: newTabToken(), intent: 'edit' }))

      // Removed: no new socket at all.
      current.set('alice', null)
      await expect(openSocket(app.url, { cookie: alice })).rejects.toMatchObject({ data: { code: ErrorCode.Unauthenticated } })
    } finally {
      await scene.close()
    }
  })
})

/**
 * Idle release with a warning, and take-over by policy (#13), over real sockets on both stores.
 * Short timeouts per app; no test asserts a time: each waits for what the server says.
 */
import { ErrorCode, type HolderActivityEvent, type IdleWarningEvent, type LockStateEvent, type TakeOverAnswer } from '../src/protocol.js'
import type { CollaborationOptions } from '../src/index.js'
import type { AuditEvent } from '../src/store/store.js'
import { loginAll, startTestApp, storeOptions, type TestApp } from './support/app.js'
import { nextEvent, recordEvents, request, unwrap, type TestSocket } from './support/clients.js'
import { RecordTabs } from './support/record-tabs.js'
import { startSharedApps, type SharedApps } from './support/shared-apps.js'
import { RedisStore } from '../src/store/redis-store.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits until the events seen so far satisfy `done` (a few seconds at most). */
async function nextEventWhere<T>(seen: T[], done: (events: T[]) => boolean): Promise<void> {
  for (let i = 0; i < 300 && !done(seen); i++) await sleep(10)
  if (!done(seen)) throw new Error(`not heard: ${JSON.stringify(seen)}`)
}

describe.each(['memory', 'redis'] as const)('with the %s store', (store) => {
  let post = { resourceId: 'Post', recordId: '1' }
  let nextRecord = 1
  const tabs = new RecordTabs(() => current.url)
  let current: TestApp
  const apps: TestApp[] = []
  let cookies: Awaited<ReturnType<typeof loginAll>>

  /** What onAudit received, as a user's callback would. */
  const audited: AuditEvent[] = []
  /** The audit event of `kind` on the test's record, once onAudit has it (audits are not awaited). */
  async function auditOf(kind: AuditEvent['kind']): Promise<AuditEvent> {
    for (let i = 0; i < 200; i++) {
      const found = audited.find((event) => event.kind === kind && event.recordId === post.recordId)
      if (found) return found
      await sleep(10)
    }
    throw new Error(`no ${kind} audit event for ${post.recordId}; got ${JSON.stringify(audited.map((event) => event.kind))}`)
  }

  async function useApp(options: Partial<CollaborationOptions>): Promise<void> {
    current = await startTestApp({ reconnectGraceMs: 0, ...options, ...storeOptions(store), onAudit: (event) => void audited.push(event) })
    apps.push(current)
    cookies = await loginAll(current)
  }

  beforeEach(() => {
    audited.length = 0
    // A record per test, so no lease of an earlier one is in the way.
    post = { resourceId: 'Post', recordId: String((nextRecord++ % 3) + 1) }
  })
  afterEach(() => tabs.closeAll())
  afterAll(async () => {
    for (const app of apps) await app.close()
  })

  const policyOf = async (socket: TestSocket) => unwrap(await request<TakeOverAnswer>(socket, 'lock:takeover-policy', post))
  /** Asks until the policy allows, as the page does when told to ask again. */
  async function untilAllowed(socket: TestSocket): Promise<TakeOverAnswer> {
    for (;;) {
      const answer = await policyOf(socket)
      if (answer.allowed) return answer
      await sleep(Math.min(answer.retryInMs ?? 200, 200))
    }
  }

  describe('idle release', () => {
    beforeAll(() => useApp({ idleTimeoutMs: 1500, idleWarningMs: 1000, takeOverAfterIdleMs: 60_000 }))

    test('warns the idle editor first, then releases the lock for the next waiting editor', async () => {
      const alice = await tabs.join(cookies.alice, post)
      const bob = await tabs.join(cookies.bob, post)
      expect(bob.reply.lease?.user.id).toBe(alice.reply.user.id)
      const heard: string[] = []
      alice.socket.on('lock:idle-warning', () => heard.push('warning'))
      alice.socket.on('lock:state', (state) => heard.push(`state:${state.cause?.kind ?? 'none'}`))
      const warning = await nextEvent<IdleWarningEvent>(alice.socket, 'lock:idle-warning')
      expect(warning).toMatchObject(post)
      expect(warning.releaseInMs).toBeGreaterThan(0)
      const freed = await nextEvent<LockStateEvent>(bob.socket, 'lock:state', (state) => state.cause?.kind === 'idle')
      expect(freed.lease).toBeNull()
      expect(freed.cause?.fromTabId).toBe(alice.reply.tabId)
      expect(heard).toEqual(['warning', 'state:idle'])
      expect(await auditOf('idle-released')).toMatchObject({ resourceId: 'Post', recordId: post.recordId, user: { id: alice.reply.user.id } })
      // The waiting editor claims as after any release, and gets it.
      const claimed = unwrap(await request<LockStateEvent>(bob.socket, 'lock:claim', post))
      expect(claimed.lease?.tabId).toBe(bob.reply.tabId)
    })

    test("the holder's activity keeps the lock; it is released once activity stops", async () => {
      const alice = await tabs.join(cookies.alice, post)
      const bob = await tabs.join(cookies.bob, post)
      const released = recordEvents<LockStateEvent>(bob.socket, 'lock:state')
      // Active for twice the idle timeout.
      for (let i = 0; i < 10; i++) {
        unwrap(await request(alice.socket, 'lock:activity', post))
        await sleep(300)
      }
      expect(released.filter((state) => state.cause)).toEqual([])
      const held = unwrap(await request<LockStateEvent>(bob.socket, 'lock:claim', post))
      expect(held.lease?.tabId).toBe(alice.reply.tabId)
      await nextEvent<LockStateEvent>(bob.socket, 'lock:state', (state) => state.cause?.kind === 'idle')
    })

    test("another user's activity with a copied token counts for nothing", async () => {
      const alice = await tabs.join(cookies.alice, post)
      const mallory = await tabs.join(cookies.bob, post, 'edit', alice.token)
      expect(mallory.reply.lease?.user.id).toBe(alice.reply.user.id)
      const freed = nextEvent<LockStateEvent>(mallory.socket, 'lock:state', (state) => state.cause?.kind === 'idle')
      let done = false
      void freed.finally(() => (done = true))
      while (!done) {
        unwrap(await request(mallory.socket, 'lock:activity', post))
        await sleep(200)
      }
      expect((await freed).cause?.fromTabId).toBe(alice.reply.tabId)
    })

    test('activity from a show page or a malformed report is refused and changes nothing', async () => {
      const viewer = await tabs.join(cookies.bob, post, 'show')
      expect(await request(viewer.socket, 'lock:activity', post)).toMatchObject({ ok: false, error: { code: ErrorCode.Forbidden } })
      expect(await request(viewer.socket, 'lock:activity', { resourceId: 'Post' })).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidPayload } })
      expect(await request(viewer.socket, 'lock:activity', { resourceId: 'Post', recordId: '999' })).toMatchObject({ ok: false, error: { code: ErrorCode.NotJoined } })
    })
  })

  describe("the holder's state as others see it", () => {
    beforeAll(() => useApp({ idleTimeoutMs: 0 }))

    test('unsaved input reaches the room when it changes, not with every report; a late joiner reads it in the lease', async () => {
      const alice = await tabs.join(cookies.alice, post)
      const bob = await tabs.join(cookies.bob, post, 'show')
      expect(bob.reply.lease).toMatchObject({ unsaved: false, idleMs: expect.any(Number) })
      const heard = recordEvents<HolderActivityEvent>(bob.socket, 'lock:holder')
      const fence = alice.reply.lease!.fence
      unwrap(await request(alice.socket, 'lock:activity', { ...post, unsaved: true }))
      await nextEventWhere(heard, (events) => events.length >= 1)
      // The same state again, and plain activity without the flag: no news for the room.
      for (let i = 0; i < 5; i++) unwrap(await request(alice.socket, 'lock:activity', { ...post, unsaved: true }))
      unwrap(await request(alice.socket, 'lock:activity', post))
      const carol = await tabs.join(cookies.carol, post, 'show')
      expect(carol.reply.lease).toMatchObject({ fence, unsaved: true })
      expect(carol.reply.lease!.idleMs).toBeLessThan(60_000)
      unwrap(await request(alice.socket, 'lock:activity', { ...post, unsaved: false }))
      await nextEventWhere(heard, (events) => events.length >= 2)
      expect(heard.map(({ fence: f, unsaved }) => ({ fence: f, unsaved }))).toEqual([
        { fence, unsaved: true },
        { fence, unsaved: false },
      ])
      expect(heard.every((event) => event.resourceId === 'Post' && event.recordId === post.recordId && event.idleMs >= 0)).toBe(true)
    })

    test("nobody but the holder sets it: a viewer's report, a copied token of another user, a malformed flag", async () => {
      const alice = await tabs.join(cookies.alice, post)
      const mallory = await tabs.join(cookies.bob, post, 'edit', alice.token)
      const viewer = await tabs.join(cookies.carol, post, 'show')
      const heard = recordEvents<HolderActivityEvent>(viewer.socket, 'lock:holder')
      unwrap(await request(mallory.socket, 'lock:activity', { ...post, unsaved: true }))
      expect(await request(viewer.socket, 'lock:activity', { ...post, unsaved: true })).toMatchObject({ ok: false, error: { code: ErrorCode.Forbidden } })
      for (const unsaved of ['yes', 1, null, {}]) {
        expect(await request(alice.socket, 'lock:activity', { ...post, unsaved })).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidPayload } })
      }
      const late = await tabs.join(cookies.dave, post, 'show')
      expect(late.reply.lease).toMatchObject({ unsaved: false })
      // The holder's own report still works afterwards, and is the first news anyone heard.
      unwrap(await request(alice.socket, 'lock:activity', { ...post, unsaved: true }))
      await nextEventWhere(heard, (events) => events.length >= 1)
      expect(heard.map((event) => event.unsaved)).toEqual([true])
    })
  })

  describe('take-over by the default policy', () => {
    beforeAll(() => useApp({ idleTimeoutMs: 0, takeOverAfterIdleMs: 1000 }))

    test('is refused while the holder was active lately, allowed once idle long enough; the old editor hears who took over', async () => {
      const alice = await tabs.join(cookies.alice, post)
      const bob = await tabs.join(cookies.bob, post)
      unwrap(await request(alice.socket, 'lock:activity', post))
      const early = await policyOf(bob.socket)
      expect(early).toMatchObject({ allowed: false })
      expect(early.lastActiveMs).toEqual(expect.any(Number))
      expect(early.retryInMs).toBeGreaterThan(0)
      expect(await request(bob.socket, 'lock:takeover', post)).toMatchObject({ ok: false, error: { code: ErrorCode.LockHeld } })
      await untilAllowed(bob.socket)
      const told = nextEvent<LockStateEvent>(alice.socket, 'lock:state', (state) => state.cause?.kind === 'taken-over')
      const taken = unwrap(await request<LockStateEvent>(bob.socket, 'lock:takeover', post))
      expect(taken.lease?.tabId).toBe(bob.reply.tabId)
      const heard = await told
      expect(heard.lease?.user.id).toBe(bob.reply.user.id)
      expect(heard.cause?.fromTabId).toBe(alice.reply.tabId)
      expect(await auditOf('taken-over')).toMatchObject({ recordId: post.recordId, user: { id: alice.reply.user.id }, by: { id: bob.reply.user.id } })
      // The old editor's renewals are over: the lease stays the new holder's.
      expect(unwrap(await request<LockStateEvent>(alice.socket, 'lock:claim', post)).lease?.tabId).toBe(bob.reply.tabId)
    })

    test("the same user's other tab still takes over at once", async () => {
      const first = await tabs.join(cookies.alice, post)
      const second = await tabs.join(cookies.alice, post)
      expect(second.reply.lease?.tabId).toBe(first.reply.tabId)
      expect(unwrap(await request<LockStateEvent>(second.socket, 'lock:takeover', post)).lease?.tabId).toBe(second.reply.tabId)
    })

    test('of racing take-overs exactly one wins', async () => {
      const alice = await tabs.join(cookies.alice, post)
      const bob = await tabs.join(cookies.bob, post)
      const carol = await tabs.join(cookies.carol, post)
      await untilAllowed(bob.socket)
      const replies = await Promise.all([request<LockStateEvent>(bob.socket, 'lock:takeover', post), request<LockStateEvent>(carol.socket, 'lock:takeover', post)])
      expect(replies.filter((reply) => reply.ok)).toHaveLength(1)
      expect(replies.filter((reply) => !reply.ok)).toMatchObject([{ error: { code: ErrorCode.LockHeld } }])
      const winner = replies[0]!.ok ? bob : carol
      expect(unwrap(await request<LockStateEvent>(alice.socket, 'lock:claim', post)).lease?.tabId).toBe(winner.reply.tabId)
    })

    test('a take-over decided before the holder was active again takes nothing', async () => {
      const alice = await tabs.join(cookies.alice, post)
      const bob = await tabs.join(cookies.bob, post)
      await untilAllowed(bob.socket)
      unwrap(await request(alice.socket, 'lock:activity', post))
      expect(await policyOf(bob.socket)).toMatchObject({ allowed: false })
      expect(await request(bob.socket, 'lock:takeover', post)).toMatchObject({ ok: false, error: { code: ErrorCode.LockHeld } })
    })
  })

  describe('take-over by a custom canTakeOver', () => {
    const asked: Array<{ user: string; holder: string; resource: string; record: unknown }> = []
    beforeAll(() =>
      useApp({
        idleTimeoutMs: 0,
        canTakeOver: async ({ user, holder, resource, record }) => {
          asked.push({ user: user.name, holder: holder.user.name, resource: resource.id(), record: record.id() })
          return user.name.startsWith('Carol') ? true : { allowed: false, reason: 'Only Carol may take over here.' }
        },
      }),
    )

    test('refuses with its reason, allows whom it allows, at once', async () => {
      const alice = await tabs.join(cookies.alice, post)
      const bob = await tabs.join(cookies.bob, post)
      const carol = await tabs.join(cookies.carol, post)
      expect(await policyOf(bob.socket)).toMatchObject({ allowed: false, reason: 'Only Carol may take over here.' })
      expect(await request(bob.socket, 'lock:takeover', post)).toMatchObject({ ok: false, error: { code: ErrorCode.LockHeld } })
      expect(await policyOf(carol.socket)).toMatchObject({ allowed: true })
      const told = nextEvent<LockStateEvent>(alice.socket, 'lock:state', (state) => state.cause?.kind === 'taken-over')
      expect(unwrap(await request<LockStateEvent>(carol.socket, 'lock:takeover', post)).lease?.tabId).toBe(carol.reply.tabId)
      expect((await told).cause?.fromTabId).toBe(alice.reply.tabId)
      expect(asked).toContainEqual({ user: 'Bob Chen', holder: 'Alice Martin', resource: 'Post', record: Number(post.recordId) })
    })
  })
})

describe('across two processes sharing Redis', () => {
  const post = { resourceId: 'Post', recordId: '2' }
  let shared: SharedApps
  let cookies: Awaited<ReturnType<typeof loginAll>>
  const first = new RecordTabs(() => shared.apps[0]!.url)
  const second = new RecordTabs(() => shared.apps[1]!.url)
  const audited: AuditEvent[] = []
  const options = { ...storeOptions('redis'), reconnectGraceMs: 0, idleTimeoutMs: 4000, idleWarningMs: 2000, takeOverAfterIdleMs: 1000, heartbeatIntervalMs: 200 }
  /** Read apart from the apps: what Redis holds, not what any process believes. */
  let observer: RedisStore

  beforeAll(async () => {
    shared = await startSharedApps(2, { ...options, onAudit: (event) => void audited.push(event) })
    cookies = await loginAll(shared.apps[0]!)
    observer = new RedisStore({
      redis: process.env.TEST_REDIS_URL!,
      keyPrefix: options.redisKeyPrefix!,
      connection: { maxRetryDelayMs: 200, retryDelayMs: 20, connectTimeoutMs: 1000, commandTimeoutMs: 1000 },
    })
    await observer.ready()
  })
  beforeEach(() => {
    audited.length = 0
  })
  afterEach(async () => {
    await first.closeAll()
    await second.closeAll()
  })
  afterAll(async () => {
    await observer?.close()
    await shared?.close()
  })

  test('activity recorded on one process refuses a take-over on the other; once idle, the take-over there wins and the holder hears it', async () => {
    const alice = await first.join(cookies.alice, post)
    const bob = await second.join(cookies.bob, post)
    unwrap(await request(alice.socket, 'lock:activity', post))
    expect(unwrap(await request<TakeOverAnswer>(bob.socket, 'lock:takeover-policy', post))).toMatchObject({ allowed: false })
    for (;;) {
      const answer = unwrap(await request<TakeOverAnswer>(bob.socket, 'lock:takeover-policy', post))
      if (answer.allowed) break
      await sleep(200)
    }
    const told = nextEvent<LockStateEvent>(alice.socket, 'lock:state', (state) => state.cause?.kind === 'taken-over')
    expect(unwrap(await request<LockStateEvent>(bob.socket, 'lock:takeover', post)).lease?.tabId).toBe(bob.reply.tabId)
    expect((await told).cause?.fromTabId).toBe(alice.reply.tabId)
  })

  test("the holder's process releases an idle lease and the other process's viewer hears it and claims", async () => {
    const alice = await first.join(cookies.alice, post)
    const bob = await second.join(cookies.bob, post)
    const freed = await nextEvent<LockStateEvent>(bob.socket, 'lock:state', (state) => state.cause?.kind === 'idle', 10_000)
    expect(freed).toMatchObject({ lease: null, cause: { fromTabId: alice.reply.tabId } })
    expect(unwrap(await request<LockStateEvent>(bob.socket, 'lock:claim', post)).lease?.tabId).toBe(bob.reply.tabId)
  })

  test("a take-over leaves the old holder's process nothing to re-assert: its renewals stop, and no expiry is reported", async () => {
    const alice = await first.join(cookies.alice, post)
    const bob = await second.join(cookies.bob, post)
    await untilAllowedOn(bob.socket)
    unwrap(await request<LockStateEvent>(bob.socket, 'lock:takeover', post))
    // Several of the first process's renewal ticks (200 ms): each would have found Alice's lease gone.
    await sleep(1500)
    expect((await observer.locks.get('Post:2'))?.user.id).toBe('bob')
    expect(audited.filter((event) => event.user.id === 'alice').map((event) => event.kind)).toEqual(['granted', 'taken-over'])
    expect(alice.socket.connected).toBe(true)
  })

  test('a lease ended by force where its process is never told (custom code, a process gone) is not re-asserted by it', async () => {
    await first.join(cookies.alice, post)
    expect((await observer.locks.get('Post:2'))?.user.id).toBe('alice')
    // Straight in the store: no locks page, no message between processes.
    expect((await observer.locks.forceRelease('Post:2')).released).toBe(true)
    await sleep(1500)
    expect(await observer.locks.get('Post:2')).toBeNull()
    expect(audited.some((event) => event.kind === 'expired' || (event.kind === 'granted' && event.reason === 'reasserted'))).toBe(false)
  })
})

async function untilAllowedOn(socket: TestSocket): Promise<void> {
  for (;;) {
    const answer = unwrap(await request<TakeOverAnswer>(socket, 'lock:takeover-policy', { resourceId: 'Post', recordId: '2' }))
    if (answer.allowed) return
    await sleep(200)
  }
}

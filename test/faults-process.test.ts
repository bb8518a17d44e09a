/**
 * Process and network faults, with real processes and a redis-server this file starts on a free
 * port (never the machine's 6379):
 *
 * - A server process SIGKILLed with editors on it (three `test/fixture/server.ts` processes sharing Redis
 *   for the collaboration and for logins). (a) The editor's tab reconnects to another process with
 *   the same tab token and renews her lease there: same holder, same fence, and the waiting viewer
 *   never gets it. (b) Nobody comes back: the record frees within lockTtlMs of the kill and the
 *   waiting editor, claiming when the lease it was shown should end (as the page does), gets it.
 *   In both, every lease any tab was shown is logged and never shows two holders at once.
 * - A client cut off silently (a proxy that stops forwarding without closing anything): the server
 *   notices within pingIntervalMs + pingTimeoutMs, frees the lock after the reconnect grace, and the
 *   waiting editor hears it.
 * - The stale editor: an editor's process frozen (SIGSTOP) loses the lock; another user takes it
 *   and saves; woken (SIGCONT), her save from the old form is refused, naming him, and the row keeps
 *   his title, both while he holds the lock and after he left it (then the version alone refuses it).
 *
 * Durations are measured and printed; only generous bounds are asserted (the machine is shared).
 * Every wait is for an event or a condition, with a timeout.
 */
import { TAB_TOKEN_PARAM, VERSION_PARAM, type JoinReply, type LeaseView, type LockStateEvent } from '../src/protocol.js'
import { startTestApp, users, type TestApp } from './support/app.js'
import { login, newTabToken, nextEvent, openSocket, request, unwrap, type TestSocket } from './support/clients.js'
import { CLAIM_MARGIN_MS, LeaseLog, WaitingEditor } from './support/lease-watch.js'
import { nextPresenceOf } from './support/presence-watch.js'
import { startPausableProxy, type PausableProxy } from './support/pausable-proxy.js'
import { killAllChildren, spawnTsx, startExampleProcess, type ExampleProcess } from './support/processes.js'
import { startRedisServer, type RedisServer } from './support/redis-server.mjs'

const log = (message: string) => console.log(`[faults-process] ${message}`)

type Notice = { type: string; message: string; options?: Record<string, string> }

let redis: RedisServer
const sockets: TestSocket[] = []
const editors: WaitingEditor[] = []
const apps: TestApp[] = []
const proxies: PausableProxy[] = []

beforeAll(async () => {
  redis = await startRedisServer()
})

afterAll(async () => {
  for (const editor of editors) editor.stop()
  for (const socket of sockets) socket.close()
  for (const proxy of proxies) await proxy.close()
  await killAllChildren()
  for (const app of apps) await app.close()
  await redis?.stop()
})

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${timeoutMs} ms`)), timeoutMs)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** The next matching event, with the time it arrived. */
function timedEvent<T>(socket: TestSocket, event: string, matches: (payload: T) => boolean, timeoutMs: number): Promise<{ atMs: number; payload: T }> {
  return nextEvent<T>(socket, event, matches, timeoutMs).then((payload) => ({ atMs: Date.now(), payload }))
}

function disconnected(socket: TestSocket): Promise<{ atMs: number; reason: string }> {
  return new Promise((resolve) => socket.once('disconnect', (reason) => resolve({ atMs: Date.now(), reason })))
}

/** Checks `done` every 50 ms until it holds; fails after timeoutMs. */
async function waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

interface Tab {
  socket: TestSocket
  token: string
  reply: JoinReply
}

/**
 * A tab on a record. A freshly started process may still be connecting to Redis: a join answered
 * `store_unavailable` is asked again (as the page does), for a few seconds.
 */
async function joinTab(url: string, cookie: string, ref: { resourceId: string; recordId: string }, intent: 'edit' | 'show', token = newTabToken()): Promise<Tab> {
  const socket = await openSocket(url, { cookie })
  sockets.push(socket)
  const deadline = Date.now() + 5000
  for (;;) {
    const reply = await request<JoinReply>(socket, 'record:join', { ...ref, tabToken: token, intent })
    if (reply.ok || reply.error.code !== 'store_unavailable' || Date.now() > deadline) return { socket, token, reply: unwrap(reply) }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

function waitingEditor(tab: Tab, ref: { resourceId: string; recordId: string }, leases: LeaseLog, name: string): WaitingEditor {
  const editor = new WaitingEditor(tab.socket, ref, tab.reply.tabId, leases, name, tab.reply.lease)
  editors.push(editor)
  return editor
}

const isHolder = (lease: LeaseView | null | undefined, tab: Tab) => lease?.tabId === tab.reply.tabId

describe('a server process killed (SIGKILL) with editors on it', () => {
  const LOCK_TTL_MS = 3000
  const HEARTBEAT_MS = 500
  const timings = { lockTtlMs: LOCK_TTL_MS, heartbeatIntervalMs: HEARTBEAT_MS, reconnectGraceMs: 1000 }
  let a: ExampleProcess
  let b: ExampleProcess
  let c: ExampleProcess
  let cookies: { alice: string; bob: string; carol: string }

  beforeAll(async () => {
    const startedAt = Date.now()
    const options = { redisUrl: redis.url, sessionSecret: 'faults-process-test-secret', collaboration: timings }
    ;[a, b, c] = await Promise.all([startExampleProcess('process A', options), startExampleProcess('process B', options), startExampleProcess('process C', options)])
    log(`3 fixture server processes listening after ${Date.now() - startedAt} ms (pids ${a.pid}, ${b.pid}, ${c.pid})`)
    // Logged in on A; the sessions are in Redis (connect-redis, one secret), so B and C know them.
    cookies = { alice: await login(a.url, users.alice), bob: await login(a.url, users.bob), carol: await login(a.url, users.carol) }
  }, 90_000)

  test('(a) the editor reconnects to another process with the same tab token: same lease, same fence; the viewer never gets it', async () => {
    const ref = { resourceId: 'Post', recordId: '1' }
    const leases = new LeaseLog(ref)
    const alice = await joinTab(a.url, cookies.alice, ref, 'edit')
    leases.add('alice join (A)', alice.reply.lease)
    leases.follow(alice.socket, 'alice (A)')
    expect(isHolder(alice.reply.lease, alice)).toBe(true)
    const fence = alice.reply.lease!.fence

    const bob = await joinTab(b.url, cookies.bob, ref, 'edit')
    leases.add('bob join (B)', bob.reply.lease)
    leases.follow(bob.socket, 'bob (B)')
    expect(isHolder(bob.reply.lease, alice)).toBe(true)
    const bobWaits = waitingEditor(bob, ref, leases, 'bob (B)')

    // What Bob's presence bar shows of Alice meanwhile (printed: her entry on A lives until it expires).
    const alicesTabs: Array<{ atMs: number; tabs: number }> = []
    bob.socket.on('presence:state', (state) => {
      if (state.recordId === ref.recordId) alicesTabs.push({ atMs: Date.now(), tabs: state.users.find((u) => u.user.id === 'alice')?.tabs ?? 0 })
    })
    bob.socket.on('presence:changed', (event) => {
      const change = event.recordId === ref.recordId ? event.changes.find((c) => c.userId === 'alice') : undefined
      if (change) alicesTabs.push({ atMs: Date.now(), tabs: change.person?.tabs ?? 0 })
    })

    const aliceDropped = disconnected(alice.socket)
    const killedAt = Date.now()
    a.signal('SIGKILL')
    await withTimeout(a.exited, 5000, 'process A exiting')
    const dropped = await withTimeout(aliceDropped, 5000, "alice's socket closing")
    // As her page does: a new connection (the balancer sends it to B), the same tab token.
    const again = await joinTab(b.url, cookies.alice, ref, 'edit', alice.token)
    const rejoinedAt = Date.now()
    leases.add('alice rejoin (B)', again.reply.lease, rejoinedAt)
    leases.follow(again.socket, 'alice (B)')
    expect(again.reply.tabId).toBe(alice.reply.tabId)
    expect(again.reply.lease).toMatchObject({ tabId: alice.reply.tabId, fence, user: { name: 'Alice Martin' } })

    // Well past the moment the lease would have ended without renewal: B renews it now, so Bob's
    // claim when the lease he was shown should end is denied, with Alice still the holder.
    const lateClaimAfter = killedAt + LOCK_TTL_MS + CLAIM_MARGIN_MS
    await waitFor(() => bobWaits.claims.some((claim) => claim.atMs > lateClaimAfter), 15_000, 'a claim by bob after the lease would have ended')
    bobWaits.stop()
    const claimsAfterKill = bobWaits.claims.filter((claim) => claim.atMs > killedAt)
    log(
      `(a) A killed: alice's socket closed after ${dropped.atMs - killedAt} ms (${dropped.reason}), she re-joined on B ${rejoinedAt - killedAt} ms after the kill ` +
        `with the same fence ${fence}; bob's claims after the kill: ${claimsAfterKill.length}, at ${claimsAfterKill.map((claim) => claim.atMs - killedAt).join(', ')} ms, all denied`,
    )
    log(`(a) leases seen: ${leases.summary({ [alice.reply.tabId]: 'alice', [bob.reply.tabId]: 'bob' }, killedAt)}`)
    log(`(a) alice's tabs in bob's presence bar after the kill: ${alicesTabs.map((seen) => `${seen.tabs} at ${seen.atMs - killedAt} ms`).join(', ') || 'no change'}`)

    expect(bobWaits.claims.every((claim) => !claim.granted)).toBe(true)
    expect(leases.seen.some((entry) => isHolder(entry.lease, bob))).toBe(false)
    // Never free either: every lease seen after the kill is Alice's, with her fence.
    expect(leases.seen.filter((entry) => entry.atMs >= killedAt && !(isHolder(entry.lease, alice) && entry.lease!.fence === fence))).toEqual([])
    expect(leases.problems()).toEqual([])
    unwrap(await request(again.socket, 'record:leave', ref))
  }, 40_000)

  test('(b) the editor does not come back: the record frees within lockTtlMs of the kill and the waiting editor, alone, gets it', async () => {
    const ref = { resourceId: 'Post', recordId: '2' }
    const leases = new LeaseLog(ref)
    const alice = await joinTab(c.url, cookies.alice, ref, 'edit')
    leases.add('alice join (C)', alice.reply.lease)
    leases.follow(alice.socket, 'alice (C)')
    expect(isHolder(alice.reply.lease, alice)).toBe(true)
    const aliceFence = alice.reply.lease!.fence

    const bob = await joinTab(b.url, cookies.bob, ref, 'edit')
    leases.add('bob join (B)', bob.reply.lease)
    leases.follow(bob.socket, 'bob (B)')
    expect(isHolder(bob.reply.lease, alice)).toBe(true)
    expect(bob.reply.presence.map((p) => p.user.name)).toEqual(['Alice Martin', 'Bob Chen'])
    const bobWaits = waitingEditor(bob, ref, leases, 'bob (B)')
    const aliceLeavesPresence = nextPresenceOf(bob.socket, ref, 'alice', 'gone', LOCK_TTL_MS + HEARTBEAT_MS + 10_000)

    const killedAt = Date.now()
    c.signal('SIGKILL')
    await withTimeout(c.exited, 5000, 'process C exiting')
    // Carol opens the record's show page on B just after the kill: the lease she is shown (read
    // from the store) ends within lockTtlMs of the kill, since nobody renews it any more.
    // The reply's expiresInMs counts from some moment between asking and hearing back.
    const carolAskedAt = Date.now()
    const carol = await joinTab(b.url, cookies.carol, ref, 'show')
    const carolHeardAt = Date.now()
    leases.add('carol join (B)', carol.reply.lease)
    leases.follow(carol.socket, 'carol (B)')
    expect(isHolder(carol.reply.lease, alice)).toBe(true)
    const expiresInMs = carol.reply.lease!.expiresInMs
    const leaseEnds = `${carolAskedAt + expiresInMs - killedAt}..${carolHeardAt + expiresInMs - killedAt}`
    expect(carolAskedAt + expiresInMs - killedAt).toBeLessThanOrEqual(LOCK_TTL_MS + 50)
    const granted = await withTimeout(bobWaits.granted, LOCK_TTL_MS + 10_000, 'bob getting the lock')
    const freedAfterMs = granted.atMs - killedAt
    const presence = await aliceLeavesPresence
    const claimsAfterKill = bobWaits.claims.filter((claim) => claim.atMs > killedAt)
    log(
      `(b) C killed: the lease shown just after it ends ${leaseEnds} ms after the kill; bob got the lock ${freedAfterMs} ms after the kill (lockTtlMs ${LOCK_TTL_MS}, claim margin ${CLAIM_MARGIN_MS}), ` +
        `fence ${aliceFence} -> ${granted.lease.fence}; his claims after the kill at ${claimsAfterKill.map((claim) => claim.atMs - killedAt).join(', ')} ms; ` +
        `alice left the presence bar ${presence.atMs - killedAt} ms after the kill (bound lockTtlMs + heartbeat = ${LOCK_TTL_MS + HEARTBEAT_MS})`,
    )
    log(`(b) leases seen: ${leases.summary({ [alice.reply.tabId]: 'alice', [bob.reply.tabId]: 'bob' }, killedAt)}`)
    // Carol, watching, hears the new holder too (through the same process here; across processes in (a)).
    await waitFor(() => leases.seen.some((entry) => entry.source === 'carol (B) lock:state' && isHolder(entry.lease, bob)), 5000, 'carol hearing the grant')

    expect(granted.lease).toMatchObject({ tabId: bob.reply.tabId, user: { name: 'Bob Chen' } })
    expect(granted.lease.fence).toBeGreaterThan(aliceFence)
    expect(freedAfterMs).toBeLessThan(LOCK_TTL_MS + 3000)
    expect(presence.atMs - killedAt).toBeLessThan(LOCK_TTL_MS + HEARTBEAT_MS + 5000)
    // The grant is announced on the record: Bob's own socket hears it too.
    await waitFor(() => leases.seen.some((entry) => entry.source === 'bob (B) lock:state' && isHolder(entry.lease, bob)), 5000, 'the grant announced')
    // Alice, then Bob, and never both: no other holder, never free in between, Alice never again after Bob.
    const holders = leases.seen.map((entry) => (isHolder(entry.lease, alice) ? 'alice' : isHolder(entry.lease, bob) ? 'bob' : JSON.stringify(entry.lease)))
    const firstBob = holders.indexOf('bob')
    expect(holders.slice(0, firstBob).every((holder) => holder === 'alice')).toBe(true)
    expect(holders.slice(firstBob).every((holder) => holder === 'bob')).toBe(true)
    expect(leases.problems()).toEqual([])
    unwrap(await request(bob.socket, 'record:leave', ref))
  }, 40_000)
})

describe('a client cut off silently (no TCP close)', () => {
  const timings = { pingIntervalMs: 1000, pingTimeoutMs: 1000, reconnectGraceMs: 1000, lockTtlMs: 5000, heartbeatIntervalMs: 1000 }

  test('the server notices within pingInterval + pingTimeout, frees the lock after the grace, and the waiting editor hears it', async () => {
    const app = await startTestApp({ redis: redis.url, redisKeyPrefix: 'cut:', ...timings })
    apps.push(app)
    const proxy = await startPausableProxy({ host: '127.0.0.1', port: app.port })
    proxies.push(proxy)
    const ref = { resourceId: 'Post', recordId: '1' }
    const cookies = { alice: await login(app.url, users.alice), bob: await login(app.url, users.bob) }
    const leases = new LeaseLog(ref)

    // Alice's socket goes through the proxy; Bob's is direct.
    const alice = await joinTab(proxy.url, cookies.alice, ref, 'edit')
    expect(proxy.connections()).toBe(1)
    expect(isHolder(alice.reply.lease, alice)).toBe(true)
    const bob = await joinTab(app.url, cookies.bob, ref, 'edit')
    leases.add('bob join', bob.reply.lease)
    leases.follow(bob.socket, 'bob')
    expect(isHolder(bob.reply.lease, alice)).toBe(true)
    const bobWaits = waitingEditor(bob, ref, leases, 'bob')

    const { pingIntervalMs, pingTimeoutMs, reconnectGraceMs } = timings
    const noticeBound = pingIntervalMs + pingTimeoutMs
    const target = noticeBound + reconnectGraceMs
    const noticed = nextPresenceOf(bob.socket, ref, 'alice', 'gone', target + 10_000)
    const freed = timedEvent<LockStateEvent>(bob.socket, 'lock:state', (s) => s.lease === null, target + 10_000)
    const aliceClientNoticed = disconnected(alice.socket)

    const cutAt = Date.now()
    proxy.cut()
    const [serverNoticed, lockFreed] = await Promise.all([noticed, freed])
    const granted = await withTimeout(bobWaits.granted, 5000, 'bob getting the lock')
    const aliceSide = await withTimeout(aliceClientNoticed, target + 5000, "alice's client noticing")
    const noticedAfterMs = serverNoticed.atMs - cutAt
    const freedAfterMs = lockFreed.atMs - cutAt
    log(
      `cut: server dropped alice ${noticedAfterMs} ms after the cut (bound pingInterval + pingTimeout = ${noticeBound}), ` +
        `bob heard the lock free ${freedAfterMs} ms after the cut, ${freedAfterMs - target} ms after cut + pingInterval + pingTimeout + grace (${target}; target: within 100 ms after), ` +
        `${lockFreed.atMs - serverNoticed.atMs} ms after the server dropped her (grace ${reconnectGraceMs}); ` +
        `bob granted ${granted.atMs - lockFreed.atMs} ms after that; alice's own client gave up after ${aliceSide.atMs - cutAt} ms (${aliceSide.reason})`,
    )
    expect(noticedAfterMs).toBeLessThan(noticeBound + 2000)
    // The grace is kept: the lock is not freed much before it has passed (timers may fire a bit early).
    expect(lockFreed.atMs - serverNoticed.atMs).toBeGreaterThanOrEqual(reconnectGraceMs - 200)
    expect(freedAfterMs).toBeLessThan(target + 3000)
    expect(granted.lease).toMatchObject({ tabId: bob.reply.tabId })
    expect(leases.problems()).toEqual([])
    unwrap(await request(bob.socket, 'record:leave', ref))
  }, 40_000)
})

describe('the stale editor', () => {
  const timings = { pingIntervalMs: 1000, pingTimeoutMs: 1000, reconnectGraceMs: 1000, lockTtlMs: 5000, heartbeatIntervalMs: 1000 }
  type Saved = { saved?: { status: number; notice: Notice | null } }

  test("a frozen editor's process loses the lock; woken, her save from the old form is refused, naming the new editor, and his title stays", async () => {
    const app = await startTestApp({ redis: redis.url, redisKeyPrefix: 'stale:', ...timings })
    apps.push(app)
    const ref = { resourceId: 'Post', recordId: '3' }
    const editUrl = `${app.url}/admin/api/resources/Post/records/${ref.recordId}/edit`
    const bobCookie = await login(app.url, users.bob)
    const leases = new LeaseLog(ref)

    const startedAt = Date.now()
    const alice = spawnTsx('alice (stale editor)', 'test/support/stale-editor.ts', { env: { BASE_URL: app.url, EMAIL: users.alice, RECORD_ID: ref.recordId } })
    const ready = await alice.lines
      .next<{ ready?: boolean; tabId: string; lease: LeaseView | null; version: string; title: string }>((line) => line.ready === true, 30_000, "alice's ready line")
      .catch((error: Error) => {
        throw new Error(`${error.message}\n--- alice's output ---\n${alice.output()}`)
      })
    log(`stale editor: alice's process ready after ${Date.now() - startedAt} ms`)
    expect(ready.lease?.tabId).toBe(ready.tabId)
    const originalTitle = ready.title

    const bob = await joinTab(app.url, bobCookie, ref, 'edit')
    leases.add('bob join', bob.reply.lease)
    leases.follow(bob.socket, 'bob')
    expect(bob.reply.lease?.tabId).toBe(ready.tabId)
    const bobWaits = waitingEditor(bob, ref, leases, 'bob')

    // Alice's laptop sleeps: her process stops, her socket no longer answers pings.
    const stoppedAt = Date.now()
    alice.signal('SIGSTOP')
    const granted = await withTimeout(bobWaits.granted, 15_000, 'bob getting the lock')
    const target = timings.pingIntervalMs + timings.pingTimeoutMs + timings.reconnectGraceMs
    log(`stale editor: bob got the lock ${granted.atMs - stoppedAt} ms after alice's process stopped (pingInterval + pingTimeout + grace = ${target})`)
    expect(granted.atMs - stoppedAt).toBeLessThan(target + 3000)

    // Bob saves, with the version his page loads now and his tab token.
    const loaded = (await (await fetch(editUrl, { headers: { cookie: bobCookie } })).json()) as { record: { params: Record<string, unknown> } }
    const bobVersion = loaded.record.params[VERSION_PARAM] as string
    expect(typeof bobVersion).toBe('string')
    const bobSave = (await (
      await fetch(editUrl, {
        method: 'POST',
        headers: { cookie: bobCookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ title: 'bob-title', [TAB_TOKEN_PARAM]: bob.token, [VERSION_PARAM]: bobVersion }),
      })
    ).json()) as { notice?: Notice }
    expect(bobSave.notice?.type).toBe('success')
    expect((await app.postById(ref.recordId))?.title).toBe('bob-title')

    // Alice's laptop wakes up, and she presses Save on the form she had.
    const wokenAt = Date.now()
    alice.signal('SIGCONT')
    const save = async (title: string) => {
      alice.process.stdin!.write(`save ${title}\n`)
      return (await alice.lines.next<Saved>((line) => line.saved !== undefined, 15_000, "alice's save answer")).saved!
    }
    const whileBobEdits = await save('alice-title')
    log(`stale editor: alice's save after waking (${Date.now() - wokenAt} ms): ${JSON.stringify(whileBobEdits.notice)}`)
    expect(whileBobEdits.notice?.type).toBe('error')
    expect(whileBobEdits.notice?.options?.defaultValue).toContain('Bob Chen')
    expect((await app.postById(ref.recordId))?.title).toBe('bob-title')

    // Bob leaves: nobody holds the lock, and only the version stands between her old form and the row.
    unwrap(await request(bob.socket, 'record:leave', ref))
    const afterBobLeft = await save('alice-title')
    log(`stale editor: alice's save with the lock free: ${JSON.stringify(afterBobLeft.notice)}`)
    expect(afterBobLeft.notice?.type).toBe('error')
    expect(afterBobLeft.notice).toMatchObject({ message: 'staleSaveText', options: { editorName: 'Bob Chen' } })
    expect(afterBobLeft.notice?.options?.defaultValue).toContain('Bob Chen changed this record after you opened it')
    const row = await app.postById(ref.recordId)
    expect(row?.title).toBe('bob-title')
    expect(row?.title).not.toBe(originalTitle)
    expect(leases.problems()).toEqual([])

    alice.process.stdin!.end()
    await withTimeout(alice.exited, 10_000, "alice's process exiting")
  }, 60_000)
})

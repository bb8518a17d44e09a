/**
 * Record state is ordered by the store's revision, not by arrival. Two app processes share one
 * Redis; a tab on process A leaves and rejoins a record over and over while a watcher on process B
 * collects every `lock:state` and merges every presence message as the page does. Applying them by
 * revision (the page's rule) must end at the state Redis holds, read directly, whatever order the
 * broadcasts arrived in; and no two different lock states may carry one revision.
 */
import session from 'express-session'
import { Redis } from 'ioredis'
import type { JoinReply, LockStateEvent } from '../src/protocol.js'
import { recordKey } from '../src/store/keys.js'
import { login, newTabToken, openSocket, recordEvents, request, unwrap, type TestSocket } from './support/clients.js'
import { startTestApp, storeOptions, users, type TestApp } from './support/app.js'
import { PresenceWatch } from './support/presence-watch.js'

const post = { resourceId: 'Post', recordId: '2' }
let apps: TestApp[] = []
const sockets: TestSocket[] = []

afterAll(async () => {
  for (const socket of sockets) socket.close()
  await Promise.all(apps.map((app) => app.close()))
})

test('applying broadcasts by revision ends at the stored state, on another process too', async () => {
  const options = { ...storeOptions('redis'), reconnectGraceMs: 0 }
  const shared = { store: new session.MemoryStore(), secret: 'revision-test-secret' }
  apps = [await startTestApp(options, { session: shared }), await startTestApp(options, { session: shared })]
  const [a, b] = apps as [TestApp, TestApp]
  const alice = await login(a.url, users.alice)
  const bob = await login(b.url, users.bob)

  const watcher = await openSocket(b.url, { cookie: bob })
  sockets.push(watcher)
  const presence = new PresenceWatch(watcher, post)
  const watched = presence.joined(unwrap(await request<JoinReply>(watcher, 'record:join', { ...post, tabToken: newTabToken(), intent: 'show' })))
  const locks = recordEvents<LockStateEvent>(watcher, 'lock:state')

  const tab = await openSocket(a.url, { cookie: alice })
  sockets.push(tab)
  const token = newTabToken()
  for (let round = 0; round < 15; round++) {
    unwrap(await request<JoinReply>(tab, 'record:join', { ...post, tabToken: token, intent: 'edit' }))
    unwrap(await request(tab, 'record:leave', post))
  }
  const final = unwrap(await request<JoinReply>(tab, 'record:join', { ...post, tabToken: token, intent: 'edit' }))

  // Wait until the watcher has heard a lock state at least as new as the final join's.
  const deadline = Date.now() + 5000
  while (!locks.some((state) => state.revision >= final.lockRevision) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))

  // The page's rule, applied to what arrived in the order it arrived.
  let lock: LockStateEvent | null = null
  for (const state of locks) if (!lock || state.revision >= lock.revision) lock = state

  // The independent observer: Redis itself.
  const raw = new Redis(process.env.TEST_REDIS_URL!)
  try {
    const key = recordKey(post.resourceId, post.recordId)
    const stored = await raw.hgetall(`${options.redisKeyPrefix}lock:{${key}}`)
    const storedRevision = Number(await raw.get(`${options.redisKeyPrefix}revision:{${key}}`))
    expect(stored.userId).toBe('alice')
    expect(lock?.lease?.user.id).toBe('alice')
    expect(lock?.lease?.fence).toBe(Number(stored.fence))
    expect(lock!.revision).toBeLessThanOrEqual(storedRevision)
    // Presence as the page merged it, against the entries Redis holds.
    const entries = await raw.hvals(`${options.redisKeyPrefix}presence-data:{${key}}`)
    const storedUsers = [...new Set(entries.map((entry) => (JSON.parse(entry) as { user: { id: string } }).user.id))].sort()
    expect(storedUsers).toEqual(['alice', 'bob'])
    await presence.until((people) => JSON.stringify(people.map((person) => person.user.id).sort()) === JSON.stringify(storedUsers))
    expect(presence.people().find((person) => person.user.id === 'alice')).toMatchObject({ tabs: 1, onEditPage: true })
    expect(presence.received.length).toBeGreaterThan(0)
  } finally {
    raw.disconnect()
  }

  // One revision, one state: every broadcast of a revision says the same thing.
  const byRevision = new Map<number, string>()
  for (const state of locks) {
    const said = JSON.stringify(state.lease && { user: state.lease.user.id, fence: state.lease.fence })
    expect(byRevision.get(state.revision) ?? said).toBe(said)
    byRevision.set(state.revision, said)
  }
  // Revisions grow from the watcher's own join on.
  expect(Math.min(...locks.map((state) => state.revision))).toBeGreaterThanOrEqual(watched.lockRevision)
  expect(locks.length).toBeGreaterThanOrEqual(31)
}, 60_000)

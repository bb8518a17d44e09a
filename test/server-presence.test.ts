/**
 * Presence over real sockets: who is on a record, for late joiners too, one line per person,
 * gone when they leave, and gone within a bounded time when their server process dies. What the
 * server sends is what changed (`presence:changed`, one message per record per turn of a process),
 * merged on each tab as the page merges it (test/support/presence-watch.ts); the whole list goes
 * out only in join replies and when someone expired. Across two processes sharing Redis, what every
 * tab ends up showing is the list the store holds, read from the store itself.
 */
import session from 'express-session'
import type { Server } from 'socket.io'
import type { JoinReply, PresenceUser } from '../src/protocol.js'
import { recordKey } from '../src/store/keys.js'
import { MemoryStore } from '../src/store/memory-store.js'
import { RedisStore } from '../src/store/redis-store.js'
import { enterPresence, leavePresence, presenceUsers } from '../src/server/presence.js'
import { PresenceKeeper } from '../src/server/presence-keeper.js'
import type { CollabSocket, JoinedRecord, ServerContext } from '../src/server/context.js'
import { loginAll, startTestApp, storeOptions, type TestApp } from './support/app.js'
import { newTabToken, openSocket, request, unwrap, type TestSocket } from './support/clients.js'
import { PresenceWatch } from './support/presence-watch.js'
import { RecordTabs } from './support/record-tabs.js'

const post = { resourceId: 'Post', recordId: '2' }
const names = (people: PresenceUser[]) => people.map((person) => person.user.name)
const tabsOf = (people: PresenceUser[]) => Object.fromEntries(people.map((person) => [person.user.id, person.tabs]))

describe.each(['memory', 'redis'] as const)('with the %s store', (store) => {
  let app: TestApp
  let cookies: Awaited<ReturnType<typeof loginAll>>
  const tabs = new RecordTabs(() => app.url)
  const join = (cookie: string, intent: 'edit' | 'show' = 'edit') => tabs.join(cookie, post, intent)

  beforeAll(async () => {
    app = await startTestApp(storeOptions(store))
    cookies = await loginAll(app)
  })

  afterEach(() => tabs.closeAll())

  afterAll(async () => {
    await app?.close()
  })

  test('a late joiner sees everyone already there in its join reply, and they see the newcomer', async () => {
    const alice = await join(cookies.alice)
    const bob = await join(cookies.bob)
    const carol = await join(cookies.carol, 'show')
    expect(names(carol.reply.presence)).toEqual(['Alice Martin', 'Bob Chen', 'Carol Diaz'])
    expect(carol.reply.presence.map((p) => p.onEditPage)).toEqual([true, true, false])
    await alice.presence.untilNames(['Alice Martin', 'Bob Chen', 'Carol Diaz'])
    await bob.presence.untilNames(['Alice Martin', 'Bob Chen', 'Carol Diaz'])
    expect(bob.reply.presence.length).toBe(2)
    // Nobody was sent the whole list again: the newcomers arrived as changes.
    expect(alice.presence.received.map((m) => m.event)).not.toContain('presence:state')
  })

  test('the same user in several tabs appears once, their tabs counted for everyone', async () => {
    const bob = await join(cookies.bob, 'show')
    const first = await join(cookies.alice, 'show')
    await join(cookies.alice, 'show')
    const third = await join(cookies.alice)
    expect(third.reply.presence).toHaveLength(2)
    expect(third.reply.presence[1]).toMatchObject({ user: { name: 'Alice Martin' }, tabs: 3, onEditPage: true })
    const seen = await bob.presence.until((people) => tabsOf(people).alice === 3)
    expect(seen[1]).toMatchObject({ tabs: 3, onEditPage: true })
    unwrap(await request(third.socket, 'record:leave', post))
    const after = await bob.presence.until((people) => tabsOf(people).alice === 2)
    expect(after[1]).toMatchObject({ tabs: 2, onEditPage: false })
    await first.presence.until((people) => tabsOf(people).alice === 2)
  })

  test('leaving and disconnecting remove the user for everyone', async () => {
    const alice = await join(cookies.alice)
    const bob = await join(cookies.bob)
    const carol = await join(cookies.carol)
    await alice.presence.untilNames(['Alice Martin', 'Bob Chen', 'Carol Diaz'])
    unwrap(await request(bob.socket, 'record:leave', post))
    await alice.presence.untilNames(['Alice Martin', 'Carol Diaz'])
    carol.socket.close()
    await alice.presence.untilNames(['Alice Martin'])
  })

  test('a burst of 30 joins reaches a tab already there as a few changes, not 30 whole lists', async () => {
    const viewer = await join(cookies.dave, 'show')
    const editors = [cookies.alice, cookies.bob, cookies.carol]
    const sockets = await Promise.all(Array.from({ length: 30 }, (_, i) => tabs.open(editors[i % 3]!)))
    const replies = await Promise.all(sockets.map((socket) => request<JoinReply>(socket, 'record:join', { ...post, tabToken: newTabToken(), intent: 'show' })))
    const everyone = unwrap(replies.reduce((latest, reply) => (unwrap(reply).presenceRevision > unwrap(latest).presenceRevision ? reply : latest)))
    const shown = await viewer.presence.until((people) => people.reduce((sum, person) => sum + person.tabs, 0) === 31)
    expect(shown).toEqual(everyone.presence)
    expect(tabsOf(shown)).toEqual({ dave: 1, alice: 10, bob: 10, carol: 10 })

    const messages = viewer.presence.received
    expect(messages.map((m) => m.event)).not.toContain('presence:state')
    const changes = messages.flatMap((m) => (m.event === 'presence:changed' ? m.payload.changes : []))
    // One line per person a message at most, and never more lines than joins.
    for (const message of messages)
      if (message.event === 'presence:changed') expect(new Set(message.payload.changes.map((c) => c.userId)).size).toBe(message.payload.changes.length)
    expect(changes.length).toBeLessThanOrEqual(30)
    // Joins that finish in one turn of the server share one message (the test below shows it
    // exactly): 30 concurrent joins never take 30 turns.
    expect(messages.length).toBeLessThan(30)
    // What the old protocol cost this tab: the whole list once per join.
    const wholeLists = replies.reduce((sum, reply) => sum + JSON.stringify({ ...post, users: unwrap(reply).presence, revision: 0 }).length, 0)
    console.log(
      `${store}: burst of 30 joins: ${messages.length} presence messages, ${changes.length} lines, ${viewer.presence.bytes} bytes to the viewer (30 whole lists: ${wholeLists} bytes)`,
    )
    expect(viewer.presence.bytes).toBeLessThan(wholeLists / 2)
    // Leaves in a burst likewise.
    for (const socket of sockets) socket.close()
    await viewer.presence.untilNames(['Dave Okafor'])
    expect(viewer.presence.received.map((m) => m.event)).not.toContain('presence:state')
  })

  test('no tab is told any connection id', async () => {
    const alice = await join(cookies.alice)
    const bob = await join(cookies.bob, 'show')
    const carol = await join(cookies.carol, 'show')
    unwrap(await request(bob.socket, 'record:leave', post))
    await alice.presence.untilNames(['Alice Martin', 'Carol Diaz'])
    const wire = JSON.stringify([alice.presence.received, carol.presence.received, carol.reply])
    for (const { socket } of [alice, bob, carol]) expect(wire).not.toContain(socket.id)
  })
})

describe('one message per record per turn', () => {
  /** A server context of the pieces presence uses, sockets included, and what it emitted. */
  function fakeServer() {
    const store = new MemoryStore()
    const emitted: Array<{ room: string; event: string; payload: unknown }> = []
    const io = { to: (room: string) => ({ emit: (event: string, payload: unknown) => emitted.push({ room, event, payload }) }) } as unknown as Server
    const presenceKeeper = new PresenceKeeper(store.presence, 60_000, 60_000, () => undefined)
    const ctx = { io, store, presenceKeeper, options: { lockTtlMs: 60_000 }, closing: false } as unknown as ServerContext
    let n = 0
    const socket = (userId: string) => ({ id: `socket-${++n}`, connected: true, data: { user: { id: userId, name: userId } } }) as unknown as CollabSocket
    const joined = (recordId: string): JoinedRecord => ({
      ref: { resourceId: 'Post', recordId },
      intent: 'show',
      token: newTabToken(),
      tabId: newTabToken(),
      locking: true,
      chat: false,
    })
    const turn = () => new Promise((resolve) => setImmediate(resolve))
    return { ctx, emitted, socket, joined, turn, close: () => presenceKeeper.close() }
  }

  test('joins and leaves finishing in one turn are one presence:changed per record, with each person once', async () => {
    const { ctx, emitted, socket, joined, turn, close } = fakeServer()
    try {
      const onOne = Array.from({ length: 20 }, (_, i) => socket(['ann', 'bob', 'cy'][i % 3]!))
      const onTwo = [socket('ann'), socket('dan')]
      await Promise.all([...onOne.map((s) => enterPresence(ctx, s, joined('1'))), ...onTwo.map((s) => enterPresence(ctx, s, joined('2')))])
      expect(emitted).toEqual([])
      await turn()
      // To each record's room and its list pages' watch room, in one emit.
      expect(emitted.map(({ room, event }) => [room, event])).toEqual([
        [['record:Post:1', 'watch:Post:1'], 'presence:changed'],
        [['record:Post:2', 'watch:Post:2'], 'presence:changed'],
      ])
      const [one, two] = emitted.map((e) => e.payload as { changes: Array<{ userId: string; person: PresenceUser | null; revision: number }> })
      expect(one!.changes.map((c) => [c.userId, c.person?.tabs])).toEqual([
        ['ann', 7],
        ['bob', 7],
        ['cy', 6],
      ])
      expect(two!.changes.map((c) => c.userId)).toEqual(['ann', 'dan'])
      // Each line is the person as of the revision it carries: the store's list then.
      const stored = await ctx.store.presence.list(recordKey('Post', '1'))
      expect(one!.changes.map((c) => c.person)).toEqual(presenceUsers(stored.entries))

      emitted.length = 0
      await Promise.all(onOne.slice(0, 4).map((s) => leavePresence(ctx, s.id, { resourceId: 'Post', recordId: '1' })))
      await turn()
      expect(emitted).toHaveLength(1)
      expect((emitted[0]!.payload as { changes: Array<{ userId: string; person: PresenceUser | null }> }).changes.map((c) => [c.userId, c.person?.tabs])).toEqual([
        ['ann', 5],
        ['bob', 6],
        ['cy', 5],
      ])
    } finally {
      close()
    }
  })

  test('a join that dropped an expired entry sends the whole list instead', async () => {
    const { ctx, emitted, socket, joined, turn, close } = fakeServer()
    try {
      await ctx.store.presence.join(recordKey('Post', '1'), { id: 'gone', user: { id: 'zed', name: 'zed' }, tabId: 't', intent: 'show', sinceMs: 1 }, 1)
      await new Promise((resolve) => setTimeout(resolve, 10))
      await enterPresence(ctx, socket('ann'), joined('1'))
      await turn()
      expect(emitted.map((e) => e.event)).toEqual(['presence:state'])
      expect((emitted[0]!.payload as { users: PresenceUser[] }).users.map((u) => u.user.id)).toEqual(['ann'])
    } finally {
      close()
    }
  })
})

test('users of a server process that died vanish once their entries expire', async () => {
  // Two processes sharing Redis and logins; the second one stops without saying goodbye.
  const shared = { store: new session.MemoryStore(), secret: 'presence-expiry-test-secret' }
  const options = { ...storeOptions('redis'), lockTtlMs: 900, heartbeatIntervalMs: 200 }
  const survivor = await startTestApp(options, { session: shared })
  const doomed = await startTestApp(options, { session: shared })
  const sockets: TestSocket[] = []
  try {
    const cookies = await loginAll(survivor)
    const alice = await openSocket(survivor.url, { cookie: cookies.alice })
    const bob = await openSocket(doomed.url, { cookie: cookies.bob })
    sockets.push(alice, bob)
    const watch = new PresenceWatch(alice, post)
    watch.joined(unwrap(await request<JoinReply>(alice, 'record:join', { ...post, tabToken: newTabToken(), intent: 'show' })))
    const both = unwrap(await request<JoinReply>(bob, 'record:join', { ...post, tabToken: newTabToken(), intent: 'show' }))
    expect(names(both.presence)).toEqual(['Alice Martin', 'Bob Chen'])
    await watch.untilNames(['Alice Martin', 'Bob Chen'])
    // close() of a process that is going away leaves its entries in place, like a crash would.
    await doomed.close()
    await watch.untilNames(['Alice Martin'], 5000)
    // Nobody saw Bob leave: the renewal that found his entry expired sent everyone again.
    expect(watch.received.at(-1)?.event).toBe('presence:state')
  } finally {
    for (const socket of sockets) socket.close()
    await doomed.close()
    await survivor.close()
  }
})

test('a tab that reconnects to another process after its own died is counted once', async () => {
  const shared = { store: new session.MemoryStore(), secret: 'presence-reconnect-test-secret' }
  const options = storeOptions('redis')
  const survivor = await startTestApp(options, { session: shared })
  const doomed = await startTestApp(options, { session: shared })
  const sockets: TestSocket[] = []
  try {
    const cookies = await loginAll(survivor)
    const tabToken = newTabToken()
    const first = await openSocket(doomed.url, { cookie: cookies.alice })
    sockets.push(first)
    unwrap(await request<JoinReply>(first, 'record:join', { ...post, tabToken, intent: 'show' }))
    // The process dies without a goodbye: its entry for alice's tab stays in Redis.
    await doomed.close()
    const again = await openSocket(survivor.url, { cookie: cookies.alice })
    sockets.push(again)
    const reply = unwrap(await request<JoinReply>(again, 'record:join', { ...post, tabToken, intent: 'show' }))
    expect(reply.presence).toEqual([expect.objectContaining({ user: expect.objectContaining({ name: 'Alice Martin' }), tabs: 1 })])
  } finally {
    for (const socket of sockets) socket.close()
    await doomed.close()
    await survivor.close()
  }
})

test('tabs joining and leaving on two processes at once: every tab ends showing the list the store holds', async () => {
  const shared = { store: new session.MemoryStore(), secret: 'presence-interleave-test-secret' }
  const options = storeOptions('redis')
  const apps = [await startTestApp(options, { session: shared }), await startTestApp(options, { session: shared })]
  const observer = new RedisStore({
    redis: process.env.TEST_REDIS_URL!,
    keyPrefix: options.redisKeyPrefix!,
    connection: { maxRetryDelayMs: 200, retryDelayMs: 20, connectTimeoutMs: 1000, commandTimeoutMs: 1000 },
  })
  const sockets: TestSocket[] = []
  try {
    await observer.ready()
    const cookies = await loginAll(apps[0]!)
    const people = [cookies.alice, cookies.bob, cookies.carol, cookies.dave]
    // A watcher on each process, there from the start.
    const watchers = await Promise.all(
      apps.map(async (app) => {
        const socket = await openSocket(app.url, { cookie: cookies.dave })
        sockets.push(socket)
        const watch = new PresenceWatch(socket, post)
        watch.joined(unwrap(await request<JoinReply>(socket, 'record:join', { ...post, tabToken: newTabToken(), intent: 'show' })))
        return watch
      }),
    )
    // 24 tabs, half on each process, each joining and leaving a few times, all at once.
    const closed: string[] = []
    await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const socket = await openSocket(apps[i % 2]!.url, { cookie: people[i % 4]! })
        sockets.push(socket)
        const tabToken = newTabToken()
        for (let round = 0; round < 3 + (i % 3); round++) {
          unwrap(await request(socket, 'record:join', { ...post, tabToken, intent: i % 3 === 0 && i % 4 !== 3 ? 'edit' : 'show' }))
          if (round % 2 === 1 || i % 5 === 0) unwrap(await request(socket, 'record:leave', post))
        }
        // Some go by closing their socket (the disconnect path), some stay.
        if (i % 4 === 1) {
          closed.push(socket.id!)
          socket.close()
        }
      }),
    )
    // A late joiner, too.
    const late = await openSocket(apps[1]!.url, { cookie: cookies.carol })
    sockets.push(late)
    const lateWatch = new PresenceWatch(late, post)
    lateWatch.joined(unwrap(await request<JoinReply>(late, 'record:join', { ...post, tabToken: newTabToken(), intent: 'show' })))

    // The store's own word, once the closed sockets' disconnects have reached it.
    const key = recordKey(post.resourceId, post.recordId)
    let entries = (await observer.presence.list(key)).entries
    for (let tries = 0; entries.some((entry) => closed.includes(entry.id)) && tries < 250; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      entries = (await observer.presence.list(key)).entries
    }
    const truth = presenceUsers(entries)
    for (const watch of [...watchers, lateWatch])
      await watch.until((shown) => JSON.stringify(shown) === JSON.stringify(truth), 5000, `the stored list ${JSON.stringify(tabsOf(truth))}`)
    // The watchers and the late joiner are there, at the least.
    expect(tabsOf(truth).dave).toBeGreaterThanOrEqual(2)
    expect(tabsOf(truth).carol).toBeGreaterThanOrEqual(1)
  } finally {
    for (const socket of sockets) socket.close()
    await observer.close()
    await Promise.all(apps.map((app) => app.close()))
  }
}, 60_000)

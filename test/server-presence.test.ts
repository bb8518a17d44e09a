/**
 * Presence over real sockets: who is on a record, for late joiners too, one line per person,
 * gone when they leave, and gone within a bounded time when their server process dies.
 */
import session from 'express-session'
import type { JoinReply, PresenceStateEvent } from '../src/protocol.js'
import { loginAll, startTestApp, storeOptions, type TestApp } from './support/app.js'
import { newTabToken, nextEvent, openSocket, request, unwrap, type TestSocket } from './support/clients.js'
import { RecordTabs } from './support/record-tabs.js'

const post = { resourceId: 'Post', recordId: '2' }
const names = (state: { users: Array<{ user: { name: string } }> } | JoinReply['presence']) => ('users' in state ? state.users : state).map((entry) => entry.user.name)

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

  test('a late joiner sees everyone already there, and they see the newcomer', async () => {
    const alice = await join(cookies.alice)
    const bob = await join(cookies.bob)
    const aliceSeesCarol = nextEvent<PresenceStateEvent>(alice.socket, 'presence:state', (s) => names(s).includes('Carol Diaz'))
    const carol = await join(cookies.carol, 'show')
    expect(names(carol.reply.presence)).toEqual(['Alice Martin', 'Bob Chen', 'Carol Diaz'])
    expect(carol.reply.presence.map((p) => p.onEditPage)).toEqual([true, true, false])
    expect(names(await aliceSeesCarol)).toEqual(['Alice Martin', 'Bob Chen', 'Carol Diaz'])
    expect(bob.reply.presence.length).toBe(2)
  })

  test('the same user in several tabs appears once', async () => {
    await join(cookies.alice)
    await join(cookies.alice, 'show')
    const third = await join(cookies.alice)
    expect(third.reply.presence).toHaveLength(1)
    expect(third.reply.presence[0]).toMatchObject({ user: { name: 'Alice Martin' }, tabs: 3, onEditPage: true })
  })

  test('leaving and disconnecting remove the user for everyone', async () => {
    const alice = await join(cookies.alice)
    const bob = await join(cookies.bob)
    const carol = await join(cookies.carol)
    const bobLeft = nextEvent<PresenceStateEvent>(alice.socket, 'presence:state', (s) => !names(s).includes('Bob Chen'))
    unwrap(await request(bob.socket, 'record:leave', post))
    expect(names(await bobLeft)).toEqual(['Alice Martin', 'Carol Diaz'])
    const carolGone = nextEvent<PresenceStateEvent>(alice.socket, 'presence:state', (s) => !names(s).includes('Carol Diaz'))
    carol.socket.close()
    expect(names(await carolGone)).toEqual(['Alice Martin'])
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
    unwrap(await request<JoinReply>(alice, 'record:join', { ...post, tabToken: newTabToken(), intent: 'show' }))
    const both = unwrap(await request<JoinReply>(bob, 'record:join', { ...post, tabToken: newTabToken(), intent: 'show' }))
    expect(names(both.presence)).toEqual(['Alice Martin', 'Bob Chen'])
    const bobVanished = nextEvent<PresenceStateEvent>(alice, 'presence:state', (s) => !names(s).includes('Bob Chen'), 5000)
    // close() of a process that is going away leaves its entries in place, like a crash would.
    await doomed.close()
    expect(names(await bobVanished)).toEqual(['Alice Martin'])
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

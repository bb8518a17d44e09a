/**
 * Two processes of the admin on a Redis Cluster (three masters this file starts), `redis` given as
 * the nodes' URLs: the lock, presence and Socket.IO broadcasts work across them as on one Redis.
 * Alice edits on process A; Bob, on process B, sees her as the holder and in the presence, is
 * denied the lock, hears through the adapter when she leaves, and then gets it.
 */
import session from 'express-session'
import type { LockStateEvent } from '../src/protocol.js'
import { loginAll, startTestApp, type TestApp } from './support/app.js'
import { nextEvent, request, unwrap } from './support/clients.js'
import { RecordTabs } from './support/record-tabs.js'
import { startRedisCluster, type RedisCluster } from './support/redis-cluster.mjs'
import { randomUUID } from 'node:crypto'

const post1 = { resourceId: 'Post', recordId: '1' }

describe('two processes on a Redis Cluster', () => {
  let cluster: RedisCluster | undefined
  const apps: TestApp[] = []
  const tabs: RecordTabs[] = []

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 })
  }, 200_000)

  afterAll(async () => {
    for (const appTabs of tabs) await appTabs.closeAll()
    for (const app of apps) await app.close()
    await cluster?.stop()
  })

  test('lock, presence and broadcasts cross processes', async () => {
    const shared = { store: new session.MemoryStore(), secret: 'server-cluster-test-secret' }
    const options = { redis: cluster!.urls, redisKeyPrefix: `test:${randomUUID()}:` }
    const start = async () => {
      const app = await startTestApp(options, { session: shared })
      apps.push(app)
      const appTabs = new RecordTabs(() => app.url)
      tabs.push(appTabs)
      return { app, tabs: appTabs }
    }
    const a = await start()
    const b = await start()
    expect(a.app.collaboration.storeKind).toBe('redis')
    const cookies = await loginAll(a.app)

    const alice = await a.tabs.join(cookies.alice, post1, 'edit')
    expect(alice.reply.lease?.user.name).toBe('Alice Martin')
    const bob = await b.tabs.join(cookies.bob, post1, 'edit')
    expect(bob.reply.lease?.tabId).toBe(alice.reply.tabId)
    await bob.presence.until((people) => people.some((person) => person.user.name === 'Alice Martin'))
    expect(unwrap(await request<LockStateEvent>(bob.socket, 'lock:claim', post1)).lease?.tabId).toBe(alice.reply.tabId)

    // Alice leaves on A; Bob, on B, hears the record free through the adapter's stream, and claims it.
    const freed = nextEvent<LockStateEvent>(bob.socket, 'lock:state', (state) => state.lease === null || state.lease.tabId === bob.reply.tabId, 10_000)
    unwrap(await request(alice.socket, 'record:leave', post1))
    await freed
    const claimed = unwrap(await request<LockStateEvent>(bob.socket, 'lock:claim', post1))
    expect(claimed.lease).toMatchObject({ tabId: bob.reply.tabId, user: { name: 'Bob Chen' } })
    // Alice's page, on A, hears Bob's lock from B.
    const page = await a.tabs.join(cookies.alice, post1, 'show')
    expect(page.reply.lease?.tabId).toBe(bob.reply.tabId)
  }, 60_000)
})

/**
 * A claim whose reply comes too late: Redis is paused (SIGSTOP) while a tab claims, so the command
 * times out for the server, yet Redis runs it when it resumes and grants a lease nobody renews.
 * The server undoes such a late grant, so the record does not stay blocked for a whole lock TTL.
 */
import { ErrorCode, type JoinReply, type LockStateEvent } from '../src/protocol.js'
import { loginAll, startTestApp, type TestApp } from './support/app.js'
import { newTabToken, request, unwrap } from './support/clients.js'
import { RecordTabs } from './support/record-tabs.js'
import { startRedisServer, type RedisServer } from './support/redis-server.mjs'

const post = { resourceId: 'Post', recordId: '1' }
let redis: RedisServer
let app: TestApp
const tabs = new RecordTabs(() => app.url)

beforeAll(async () => {
  redis = await startRedisServer()
  // A long lock TTL: if the late grant were left in place, bob would wait 60 s.
  app = await startTestApp({ redis: redis.url, lockTtlMs: 60_000, redisConnection: { commandTimeoutMs: 300 } })
})

afterAll(async () => {
  await tabs.closeAll()
  await app?.close()
  await redis?.stop()
})

test('a claim that timed out while Redis was paused leaves no lease behind', async () => {
  const cookies = await loginAll(app)
  // Alice waits on the edit page while bob edits; bob leaves, and the record is free.
  const bob = await tabs.join(cookies.bob, post)
  const alice = await tabs.join(cookies.alice, post)
  expect(alice.reply.lease?.user.name).toBe('Bob Chen')
  unwrap(await request(bob.socket, 'record:leave', post))

  // Alice claims while Redis is paused: the command times out for the server, and her tab gives up.
  redis.process.kill('SIGSTOP')
  const refused = await request<LockStateEvent>(alice.socket, 'lock:claim', post)
  expect(refused).toMatchObject({ ok: false, error: { code: ErrorCode.StoreUnavailable } })
  alice.socket.close()
  // Redis resumes and runs her claim after all: a lease nobody will renew.
  redis.process.kill('SIGCONT')

  // Carol wants to edit: she joins, then claims again until she holds it (the page does the same).
  const carolSocket = await tabs.open(cookies.carol)
  const carolToken = newTabToken()
  let carolTabId: string | undefined
  let lease: LockStateEvent['lease'] = null
  const deadline = Date.now() + 10_000
  while ((carolTabId === undefined || lease?.tabId !== carolTabId) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    if (carolTabId === undefined) {
      const reply = await request<JoinReply>(carolSocket, 'record:join', { ...post, tabToken: carolToken, intent: 'edit' })
      if (reply.ok) [carolTabId, lease] = [reply.data.tabId, reply.data.lease]
    } else {
      const reply = await request<LockStateEvent>(carolSocket, 'lock:claim', post)
      if (reply.ok) lease = reply.data.lease
    }
  }
  // Well within the 60 s lock TTL a left-over grant would have blocked the record for.
  expect(lease?.user.name).toBe('Carol Diaz')
  expect(lease?.tabId).toBe(carolTabId)
})

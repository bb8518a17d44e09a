/**
 * A Redis outage as people see it, in Chromium: the editor's and the viewer's pages say plainly that
 * collaboration is offline within a few seconds of Redis dying, the editor keeps typing, and both
 * pages go back to their roles by themselves when Redis returns (empty: the editor's lease is
 * re-asserted by the server, so the viewer does not become the editor).
 */
import { users } from './support/app.js'
import { screenshotPaths, startBrowserScene, waitForRole, type BrowserScene, type UserSession } from './support/browser.js'
import { startRedisServer, type RedisServer } from './support/redis-server.mjs'

let redis: RedisServer | undefined
let scene: BrowserScene
let alice: UserSession
let bob: UserSession
let editUrl: string

beforeAll(async () => {
  redis = await startRedisServer()
  scene = await startBrowserScene({
    redis: redis.url,
    lockTtlMs: 3000,
    heartbeatIntervalMs: 500,
    redisConnection: { retryDelayMs: 50, maxRetryDelayMs: 200, connectTimeoutMs: 1000, commandTimeoutMs: 1000 },
  })
  editUrl = await scene.editUrl(0)
  alice = await scene.login(users.alice)
  bob = await scene.login(users.bob)
}, 120_000)

afterAll(async () => {
  await scene?.close()
  await redis?.stop()
})

test('Redis dies: both pages say collaboration is offline; Redis returns: both recover by themselves', async () => {
  await alice.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(alice.page, 'editor')
  await bob.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(bob.page, 'viewer')

  const { port } = redis!
  const killedAt = Date.now()
  await redis!.stop()
  redis = undefined
  await Promise.all([waitForRole(alice.page, 'offline', 5000), waitForRole(bob.page, 'offline', 5000)])
  const offlineMs = Date.now() - killedAt
  console.log(`[faults] Redis killed: both pages showed the offline notice after ${offlineMs} ms`)
  expect(offlineMs).toBeLessThan(3000)
  expect(await alice.page.textContent('[data-testid=collaborator-offline]')).toContain('Collaboration is offline')
  // The editor keeps typing through the outage.
  await alice.page.fill('input[name=title]', 'Typed while Redis was down')
  // test-results/ only: the README shows no outage.
  await alice.page.screenshot({ path: screenshotPaths('redis-offline-editor')[0]! })
  await bob.page.screenshot({ path: screenshotPaths('redis-offline-viewer')[0]! })

  const restartedAt = Date.now()
  redis = await startRedisServer(port)
  await Promise.all([waitForRole(alice.page, 'editor', 10_000), waitForRole(bob.page, 'viewer', 10_000)])
  console.log(`[faults] Redis back: both pages back in their roles after ${Date.now() - restartedAt} ms`)
  expect(await alice.page.inputValue('input[name=title]')).toBe('Typed while Redis was down')
  expect(alice.pageErrors).toEqual([])
  expect(bob.pageErrors).toEqual([])
})

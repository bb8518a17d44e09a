/**
 * Pages with a socket server of their own (#15), in Chromium: the admin serves the pages and
 * connection tokens, the sockets are served by `collaboration.listen` on another port (another
 * origin). Alice and Bob edit one post as on an attached server: each page fetches a token,
 * connects across origins, Alice edits, Bob watches and hears her save. No time asserted.
 */
import session from 'express-session'
import { Collaboration, type Listening } from '../src/index.js'
import { users } from './support/app.js'
import { freePort } from './support/redis-server.mjs'
import { startBrowserScene, screenshotPaths, waitForRole, type BrowserScene, type UserSession } from './support/browser.js'
import { storeOptions } from './support/app.js'

const SECRET = 'the shared secret of this browser test and its tier'
let scene: BrowserScene
let tier: Listening
let alice: UserSession
let bob: UserSession

beforeAll(async () => {
  const options = { ...storeOptions('redis'), tokenSecret: SECRET }
  const port = await freePort()
  const sessionStore = new session.MemoryStore()
  scene = await startBrowserScene({ ...options, socketUrl: `http://127.0.0.1:${port}` }, { session: { store: sessionStore, secret: 'browser-socket-tier-cookie-secret' } })
  const sockets = new Collaboration({ ...options, allowedOrigins: [scene.app.url] })
  tier = await sockets.listen({ port, host: '127.0.0.1', admin: scene.app.admin, session: { store: sessionStore } })
  await sockets.ready()
  ;[alice, bob] = await Promise.all([scene.login(users.alice), scene.login(users.bob)])
}, 120_000)
afterAll(async () => {
  await tier?.close()
  await scene?.close()
})

test('pages connect to the socket server with tokens from the admin, and collaborate as usual', async () => {
  const sockets: string[] = []
  alice.page.on('websocket', (ws) => sockets.push(ws.url()))
  const editUrl = await scene.editUrl(0)
  await alice.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(alice.page, 'editor')
  await bob.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(bob.page, 'viewer')
  expect(await bob.page.textContent('[data-testid=collaborator-overlay]')).toContain('This page is being edited by Alice Martin')
  // Alice's page talks to the socket server, not to the admin.
  expect(sockets.length).toBeGreaterThan(0)
  expect(sockets.every((url) => url.startsWith(tier.url.replace('http', 'ws')))).toBe(true)

  await alice.page.fill('input[name=title]', 'Saved with a separate socket tier')
  await alice.page.click('[data-testid=collaborator-form] button[type=submit]')
  await bob.page.waitForSelector('[data-testid=collaborator-saved-notice]', { timeout: 10_000 })
  await bob.page.waitForFunction(() => (document.querySelector('input[name=title]') as HTMLInputElement | null)?.value === 'Saved with a separate socket tier', undefined, {
    timeout: 10_000,
  })
  for (const file of screenshotPaths('socket-tier-viewer')) await bob.page.screenshot({ path: file })
  expect(alice.pageErrors).toEqual([])
  expect(bob.pageErrors).toEqual([])
}, 90_000)

/**
 * A socket's rights end with its session, as people see it in Chromium: alice edits, logs out in a
 * second tab, and her first tab says the session ended (with a login link) while keeping what she
 * typed; bob, waiting on the record, becomes the editor at once (no reconnect grace). And a page
 * whose address the server does not accept says so, instead of "offline, reconnecting" forever.
 */
import type { AddressInfo } from 'node:net'
import { startProxy } from '../example/proxy.js'
import { users } from './support/app.js'
import { loginInBrowser, screenshotPaths, startBrowserScene, waitForRole, type BrowserScene } from './support/browser.js'

let scene: BrowserScene

beforeAll(async () => {
  // Sessions re-checked every 400 ms; a long grace, so that an instant hand-on proves no grace was used.
  scene = await startBrowserScene({ heartbeatIntervalMs: 400, lockTtlMs: 20_000, reconnectGraceMs: 15_000 })
}, 120_000)

afterAll(() => scene?.close())

test('logging out in another tab ends the first tab’s lock at once; its input stays', async () => {
  const alice = await scene.login(users.alice)
  const bob = await scene.login(users.bob)
  const editUrl = await scene.editUrl(1)
  await alice.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(alice.page, 'editor')
  await alice.page.fill('input[name=title]', 'Alice typed this before logging out')
  await bob.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(bob.page, 'viewer')

  const second = await alice.context.newPage()
  await second.goto(`${scene.app.adminUrl}/logout`, { waitUntil: 'domcontentloaded' })

  const notice = alice.page.locator('[data-testid=collaborator-error][data-code=unauthenticated]')
  await notice.waitFor({ timeout: 10_000 })
  expect(await notice.textContent()).toContain('Your session has ended')
  expect(await alice.page.getAttribute('[data-testid=collaborator-login-link]', 'href')).toBe('/admin/login')
  // What she typed is still there.
  expect(await alice.page.inputValue('input[name=title]')).toBe('Alice typed this before logging out')
  // Bob gets the lock without waiting out the 15 s grace.
  await waitForRole(bob.page, 'editor', 8000)
  for (const file of screenshotPaths('session-ended')) await alice.page.screenshot({ path: file })
  expect(alice.pageErrors).toEqual([])
  expect(bob.pageErrors).toEqual([])
  await Promise.all([alice.context.close(), bob.context.close()])
}, 60_000)

test('a page behind a proxy that rewrites Host says its address is not allowed', async () => {
  // A proxy that sends another Host upstream (nginx without `proxy_set_header Host $host`): the
  // page's origin no longer matches what the server sees, so its socket is refused before upgrade.
  const backend = { name: 'app', host: '127.0.0.1', port: scene.app.port }
  const proxy = await startProxy({ host: '127.0.0.1', port: 0, http: () => backend, websocket: () => [backend], log: () => undefined, rewriteHost: 'internal.example:9999' })
  try {
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/admin`
    const carol = await loginInBrowser(scene.browser, proxyUrl, users.carol)
    const postId = (await scene.app.postIds())[2]
    await carol.page.goto(`${proxyUrl}/resources/Post/records/${postId}/edit`, { waitUntil: 'domcontentloaded' })
    const notice = carol.page.locator('[data-testid=collaborator-error][data-code=bad_origin]')
    await notice.waitFor({ timeout: 15_000 })
    expect(await notice.textContent()).toContain('not allowed to connect')
    // Not "offline, reconnecting" on top of it.
    expect(await carol.page.locator('[data-testid=collaborator-offline]').count()).toBe(0)
    for (const file of screenshotPaths('origin-refused')) await carol.page.screenshot({ path: file })
    await carol.context.close()
  } finally {
    await new Promise((resolve) => proxy.close(resolve))
  }
}, 60_000)

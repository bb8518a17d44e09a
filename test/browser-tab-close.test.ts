/**
 * Closing and reloading the editor's tab, in Debian's Chromium against the fixture admin: alice
 * edits, bob watches. A closing page says so on `pagehide` (`record:unload`), so the record frees
 * after the short reload window instead of the reconnect grace, and bob's page becomes editable in
 * place; a reload of alice's tab joins again with the same tab token within the window and keeps
 * the lock. The reconnect grace here is far longer than any wait, so a lock freed within one was
 * freed by the signal. The reload window is generous (a loaded machine reloads slowly); its
 * default is chosen from bench/tools/tab-close-timing.ts.
 */
import type { Page } from 'playwright-core'
import type { JoinReply, LockStateEvent } from '../src/protocol.js'
import { users, type TestApp } from './support/app.js'
import { screenshotPaths, startBrowserScene, waitForRole, type BrowserScene, type UserSession } from './support/browser.js'
import { login, newTabToken, nextEvent, openSocket, request, unwrap, type TestSocket } from './support/clients.js'

const RECONNECT_GRACE_MS = 120_000
const RELOAD_GRACE_MS = 3000
/** A generous wait, yet far below the reconnect grace. */
const WAIT_MS = 30_000

let scene: BrowserScene
let app: TestApp
let alice: UserSession
let bob: UserSession
let editUrl: string
let postId: string

beforeAll(async () => {
  scene = await startBrowserScene({ reconnectGraceMs: RECONNECT_GRACE_MS, reloadGraceMs: RELOAD_GRACE_MS })
  app = scene.app
  postId = String((await app.postIds())[0])
  editUrl = await scene.editUrl(0)
  alice = await scene.login(users.alice)
  bob = await scene.login(users.bob)
}, 120_000)

afterAll(() => scene?.close())

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function role(page: Page): Promise<string | null> {
  return page.getAttribute('[data-testid=collaborator-status]', 'data-role')
}

/** Every role the page shows from now on, as a list on `window.rolesSeen` (a string: tsx would wrap a function). */
async function recordRoles(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const current = () => document.querySelector('[data-testid=collaborator-status]')?.getAttribute('data-role') ?? null
    window.rolesSeen = [current()]
    new MutationObserver(() => {
      const role = current()
      if (window.rolesSeen[window.rolesSeen.length - 1] !== role) window.rolesSeen.push(role)
    }).observe(document.body, { subtree: true, attributes: true, childList: true })
  })()`)
}

/** Alice's tabs of a test, closed after it (unless it closed them itself). */
const alicePages: Page[] = []

async function aliceTab(): Promise<Page> {
  const page = await alice.context.newPage()
  alicePages.push(page)
  return page
}

/** Alice edits post 0 in a tab of her own, bob watches it. */
async function aliceEditsBobWatches(): Promise<Page> {
  const page = await aliceTab()
  page.on('pageerror', (error) => alice.pageErrors.push(String(error)))
  await page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(page, 'editor')
  await bob.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(bob.page, 'viewer')
  return page
}

afterEach(async () => {
  for (const page of alicePages.splice(0)) if (!page.isClosed()) await page.close()
  // Bob leaves the record too (a full navigation: his own page unloads), so each test starts free.
  await bob.page.goto(`${app.adminUrl}/resources/Post`, { waitUntil: 'domcontentloaded' })
})

test("the editor closes the tab: the viewer's page becomes editable in place, without waiting out the reconnect grace", async () => {
  const page = await aliceEditsBobWatches()
  await bob.page.evaluate(() => {
    ;(window as unknown as { notReloaded: boolean }).notReloaded = true
  })
  await page.close()

  await waitForRole(bob.page, 'editor', WAIT_MS)
  await bob.page.waitForFunction(() => !document.querySelector<HTMLInputElement>('input[name=title]')?.readOnly, undefined, { timeout: WAIT_MS })
  expect(await bob.page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true)
  await bob.page.fill('input[name=title]', 'Bob took over a closed tab')
  expect(await bob.page.inputValue('input[name=title]')).toBe('Bob took over a closed tab')
  for (const file of screenshotPaths('tab-closed-viewer-edits')) await bob.page.screenshot({ path: file })
  expect(alice.pageErrors).toEqual([])
  expect(bob.pageErrors).toEqual([])
}, 90_000)

test('the editor reloads the tab: it is still the editor, and the viewer still a viewer, past the reload window', async () => {
  const page = await aliceEditsBobWatches()
  await recordRoles(bob.page)
  await page.reload({ waitUntil: 'domcontentloaded' })
  await waitForRole(page, 'editor', WAIT_MS)

  // Had the reload not renewed the lease, the record would free once the window ends and bob take it.
  await sleep(RELOAD_GRACE_MS + 2000)
  expect(await role(page)).toBe('editor')
  expect(await role(bob.page)).toBe('viewer')
  expect(await bob.page.evaluate('window.rolesSeen')).toEqual(['viewer'])
  await page.fill('input[name=title]', 'Alice after her reload')
  expect(await page.inputValue('input[name=title]')).toBe('Alice after her reload')
  expect(await bob.page.textContent('[data-testid=collaborator-overlay]')).toContain('This page is being edited by Alice Martin')
  for (const file of screenshotPaths('tab-reloaded-editor')) await page.screenshot({ path: file })
  for (const file of screenshotPaths('tab-reloaded-viewer')) await bob.page.screenshot({ path: file })

  // And a reload as the viewer changes nothing either.
  await bob.page.reload({ waitUntil: 'domcontentloaded' })
  await waitForRole(bob.page, 'viewer', WAIT_MS)
  expect(await role(page)).toBe('editor')
  expect(alice.pageErrors).toEqual([])
  expect(bob.pageErrors).toEqual([])
}, 90_000)

test("a reload's early claim runs in the bundle, before any collaborator component, and gives the record up when no page of it mounts", async () => {
  // Carol watches the first post over a raw socket; alice is on the list page, with the marker a reload of
  // that record's edit page would find, naming the list page's own address.
  let carol: TestSocket | undefined
  try {
    carol = await openSocket(app.url, { cookie: await login(app.url, users.carol) })
    const ref = { resourceId: 'Post', recordId: postId }
    const watching = unwrap(await request<JoinReply>(carol, 'record:join', { ...ref, tabToken: newTabToken(), intent: 'show' }))
    // The tab the last test closed may still hold it for its reload window.
    if (watching.lease) await nextEvent<LockStateEvent>(carol, 'lock:state', (s) => s.lease === null, WAIT_MS)
    const claimed = nextEvent<LockStateEvent>(carol, 'lock:state', (s) => s.lease?.user.name === 'Alice Martin', WAIT_MS)
    const page = await aliceTab()
    await page.goto(`${app.adminUrl}/resources/Post`, { waitUntil: 'domcontentloaded' })
    await page.evaluate(
      ([recordId, socketPath]) =>
        sessionStorage.setItem('adminjs-collaborator:reload-claim', JSON.stringify({ resourceId: 'Post', recordId, socketPath, href: location.href, atMs: Date.now() })),
      [postId, '/admin/collaborator/socket.io'],
    )
    await page.reload({ waitUntil: 'domcontentloaded' })
    // The list page has no collaborator component, yet its tab holds the lock: the bundle claimed.
    await claimed
    expect(await page.$('[data-testid=collaborator-status]')).toBeNull()
    // Nobody adopts the early join: it leaves, and the record frees.
    await nextEvent<LockStateEvent>(carol, 'lock:state', (s) => s.lease === null, WAIT_MS)
    expect(await page.evaluate(() => sessionStorage.getItem('adminjs-collaborator:reload-claim'))).toBeNull()
  } finally {
    carol?.close()
  }
}, 90_000)

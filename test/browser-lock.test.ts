/**
 * The edit lock as people see it, in Debian's Chromium against the example admin: alice edits,
 * bob watches read-only under an overlay naming her, bob's forged save is refused by the server,
 * and when alice leaves bob becomes the editor in place, with no reload.
 */
import { users, type TestApp } from './support/app.js'
import { screenshotPaths, startBrowserScene, waitForRole, type BrowserScene, type UserSession } from './support/browser.js'

let scene: BrowserScene
let app: TestApp
let alice: UserSession
let bob: UserSession
let editUrl: string
let postId: string

beforeAll(async () => {
  scene = await startBrowserScene({ reconnectGraceMs: 500 })
  app = scene.app
  postId = String((await app.postIds())[0])
  editUrl = await scene.editUrl(0)
  alice = await scene.login(users.alice)
  bob = await scene.login(users.bob)
}, 120_000)

afterAll(() => scene?.close())

test('the first on the edit page edits, the second watches read-only, then takes over in place', async () => {
  await alice.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(alice.page, 'editor')
  await alice.page.fill('input[name=title]', 'Alice is typing')

  await bob.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(bob.page, 'viewer')
  const overlay = await bob.page.textContent('[data-testid=collaborator-overlay]')
  expect(overlay).toContain('This page is being edited by Alice Martin')
  for (const file of screenshotPaths('viewer-overlay')) await bob.page.screenshot({ path: file })
  // The header's Delete button says no before the click (the server would refuse it anyway).
  await bob.page.waitForSelector('[data-testid="action-delete"][aria-disabled="true"]', { timeout: 5000 })

  // Neither the mouse nor the keyboard changes the form (it is read-only, not removed: bob can
  // focus it and read it; see browser-a11y for reading and copying).
  const before = await bob.page.inputValue('input[name=title]')
  expect(await bob.page.isEditable('input[name=title]')).toBe(false)
  await bob.page.focus('input[name=title]').catch(() => undefined)
  await bob.page.keyboard.type('bob sneaks in')
  await bob.page.keyboard.press('Backspace')
  await bob.page
    .locator('input[name=title]')
    .click({ timeout: 1000, force: true })
    .catch(() => undefined)
  await bob.page.keyboard.type('and again')
  expect(await bob.page.inputValue('input[name=title]')).toBe(before)

  // Nor does the Save button, clicked or pressed, nor a submit the page script asks for: no request leaves.
  const posts: string[] = []
  bob.page.on('request', (request) => {
    if (request.method() === 'POST') posts.push(request.url())
  })
  await bob.page
    .locator('[data-testid=button-save]')
    .click({ timeout: 1000, force: true })
    .catch(() => undefined)
  await bob.page.focus('input[name=title]')
  await bob.page.keyboard.press('Enter')
  await bob.page.evaluate(() => document.querySelector<HTMLFormElement>('[data-testid=collaborator-form] form')?.requestSubmit())
  // A request the page started would be on its way by the time another round trip returns.
  await bob.page.evaluate(() => fetch(window.location.href, { method: 'HEAD' }))
  expect(posts).toEqual([])
  expect(await bob.page.inputValue('input[name=title]')).toBe(before)

  // A save bob forges with his session, bypassing the page, is refused and writes nothing.
  const stored = await app.postById(postId)
  const forged = await bob.page.request.post(`${app.adminUrl}/api/resources/Post/records/${postId}/edit`, {
    multipart: { title: 'Forged by Bob' },
  })
  const body = (await forged.json()) as { notice?: { type: string; message: string; options?: Record<string, string> } }
  expect(body.notice?.type).toBe('error')
  // A key and its parameters, translated by the page; the English rides along for API clients.
  expect(body.notice?.message).toBe('saveRefusedText')
  expect(body.notice?.options?.defaultValue).toContain('Alice Martin')
  expect(await app.postById(postId)).toEqual(stored)

  // Alice leaves; bob's page, never reloaded, becomes the editor with the record's data.
  await bob.page.evaluate(() => {
    ;(window as unknown as { notReloaded: boolean }).notReloaded = true
  })
  await alice.page.goto(`${app.adminUrl}/resources/Post`, { waitUntil: 'domcontentloaded' })
  await waitForRole(bob.page, 'editor')
  expect(await bob.page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true)
  expect(await bob.page.isEditable('input[name=title]')).toBe(true)
  expect(await bob.page.getAttribute('[data-testid="action-delete"]', 'aria-disabled')).toBeNull()
  await bob.page.fill('input[name=title]', 'Bob edits now')
  expect(await bob.page.inputValue('input[name=title]')).toBe('Bob edits now')

  expect(alice.pageErrors).toEqual([])
  expect(bob.pageErrors).toEqual([])
}, 60_000)

test("the same user's second tab is a viewer until it takes the lock over", async () => {
  await bob.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(bob.page, 'editor')
  const secondTab = await bob.context.newPage()
  await secondTab.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(secondTab, 'other-tab')
  expect(await secondTab.textContent('[data-testid=collaborator-overlay]')).toContain('another tab')
  await secondTab.click('[data-testid=collaborator-takeover]')
  await waitForRole(secondTab, 'editor')
  await waitForRole(bob.page, 'other-tab')
  await secondTab.close()
}, 60_000)

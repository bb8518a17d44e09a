/**
 * The change feed in Chromium, three users (#14): Posts are hidden from readers in this app, so
 * Dave (a reader) may not see them. Alice saves a post from its edit page and deletes another;
 * Bob, on another page of the admin, sees the bell count them and the panel say who changed which
 * field, linking to the record; "Mark all read" clears the count, and a reload keeps both the
 * entries and what was read. Dave's bell stays empty. No time asserted.
 */
import type { ActionContext } from 'adminjs'
import type { Page } from 'playwright-core'
import { users } from './support/app.js'
import { screenshotPaths, startBrowserScene, waitForRole, type BrowserScene, type UserSession } from './support/browser.js'

let scene: BrowserScene
let alice: UserSession
let bob: UserSession
let dave: UserSession

const mayRead = ({ currentAdmin }: ActionContext) => currentAdmin?.role === 'editor'

beforeAll(async () => {
  scene = await startBrowserScene({}, { postActions: { list: { isAccessible: mayRead }, show: { isAccessible: mayRead } } })
  ;[alice, bob, dave] = await Promise.all([scene.login(users.alice), scene.login(users.bob), scene.login(users.dave)])
}, 120_000)
afterAll(() => scene?.close())

const count = (page: Page) => page.getAttribute('[data-testid=collaborator-feed]', 'data-unread')

test('a save and a delete reach the bell of who may see them, not of who may not', async () => {
  const pages = `${scene.app.adminUrl}/resources/Page`
  await bob.page.goto(pages, { waitUntil: 'domcontentloaded' })
  await dave.page.goto(pages, { waitUntil: 'domcontentloaded' })
  await bob.page.waitForSelector('[data-testid=collaborator-feed]', { timeout: 15_000 })
  await dave.page.waitForSelector('[data-testid=collaborator-feed]', { timeout: 15_000 })
  expect(await count(bob.page)).toBe('0')

  // Alice renames a post in its edit page and saves.
  await alice.page.goto(await scene.editUrl(0), { waitUntil: 'domcontentloaded' })
  await waitForRole(alice.page, 'editor')
  await alice.page.fill('input[name=title]', 'Renamed for the feed')
  await alice.page.click('[data-testid=collaborator-form] button[type=submit]')
  await bob.page.waitForSelector('[data-testid=collaborator-feed][data-unread="1"]', { timeout: 10_000 })
  expect(await bob.page.textContent('[data-testid=collaborator-feed-count]')).toBe('1')

  await bob.page.click('[data-testid=collaborator-feed-button]')
  const entry = bob.page.locator('[data-testid=collaborator-feed-entry][data-kind=updated]').first()
  await entry.waitFor()
  expect(await entry.getAttribute('data-unread')).toBe('true')
  expect(await entry.locator('[data-testid=collaborator-feed-what]').textContent()).toMatch(/^Alice Martin changed Title · /)
  expect(await entry.locator('a').textContent()).toBe('Renamed for the feed')
  expect(await entry.locator('a').getAttribute('href')).toMatch(/\/admin\/resources\/Post\/records\/\d+\/show$/)
  for (const file of screenshotPaths('change-feed-panel')) await bob.page.screenshot({ path: file })

  // A delete: the entry names the record as it was, not as a link.
  await alice.page.goto(`${scene.app.adminUrl}/resources/Post`, { waitUntil: 'domcontentloaded' })
  const deleted = await scene.app.postIds().then((ids) => ids[ids.length - 1]!)
  const reply = await alice.page.evaluate(
    async ({ url }) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })).status,
    { url: `${scene.app.adminUrl}/api/resources/Post/records/${deleted}/delete` },
  )
  expect(reply).toBe(200)
  await bob.page.waitForSelector(`[data-testid=collaborator-feed-entry][data-kind=deleted][data-record-id="${deleted}"]`, { timeout: 10_000 })
  expect(await count(bob.page)).toBe('2')
  expect(await bob.page.locator(`[data-testid=collaborator-feed-entry][data-kind=deleted] a`).count()).toBe(0)

  await bob.page.click('[data-testid=collaborator-feed-read-all]')
  await bob.page.waitForSelector('[data-testid=collaborator-feed][data-unread="0"]')
  expect(await bob.page.locator('[data-testid=collaborator-feed-count]').count()).toBe(0)

  // A reload: the entries come back from the store, and what was read stays read.
  await bob.page.reload({ waitUntil: 'domcontentloaded' })
  await bob.page.waitForSelector('[data-testid=collaborator-feed]', { timeout: 15_000 })
  await bob.page.click('[data-testid=collaborator-feed-button]')
  await bob.page.locator('[data-testid=collaborator-feed-entry]').nth(1).waitFor()
  expect(await count(bob.page)).toBe('0')

  // Dave may not see Posts: nothing reached him, live or read back.
  expect(await count(dave.page)).toBe('0')
  await dave.page.reload({ waitUntil: 'domcontentloaded' })
  await dave.page.waitForSelector('[data-testid=collaborator-feed]', { timeout: 15_000 })
  await dave.page.click('[data-testid=collaborator-feed-button]')
  await dave.page.waitForSelector('[data-testid=collaborator-feed-empty]')
  for (const file of screenshotPaths('change-feed-empty-for-reader')) await dave.page.screenshot({ path: file })
  for (const session of [alice, bob, dave]) expect(session.pageErrors).toEqual([])
}, 90_000)

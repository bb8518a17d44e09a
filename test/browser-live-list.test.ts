/**
 * The live list in Chromium, three users (#14): Bob keeps a filtered, sorted list of posts open with
 * a row selected. Alice editing a post and Carol viewing it show on its row; Alice's save changes
 * the row in place, her new post appears (one outside Bob's filter does not), her delete marks the
 * row; Bob's filter, sorting, selection and page stay as they were, and his page never reloads.
 * No time asserted.
 */
import type { Page } from 'playwright-core'
import { users } from './support/app.js'
import { screenshotPaths, startBrowserScene, waitForRole, type BrowserScene, type UserSession } from './support/browser.js'

let scene: BrowserScene
let alice: UserSession
let bob: UserSession
let carol: UserSession

beforeAll(async () => {
  scene = await startBrowserScene()
  ;[alice, bob, carol] = await Promise.all([scene.login(users.alice), scene.login(users.bob), scene.login(users.carol)])
}, 120_000)
afterAll(() => scene?.close())

/** A request of the admin's API from Alice's page (her session), answering the record it wrote. */
async function api(page: Page, path: string, fields: Record<string, string> = {}): Promise<{ id: string; notice: string }> {
  return page.evaluate(
    async ({ url, body }) => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() })
      const json = (await response.json()) as { record?: { params: { id: number } }; notice?: { type: string } }
      return { id: String(json.record?.params.id ?? ''), notice: json.notice?.type ?? '' }
    },
    { url: `${scene.app.adminUrl}/api/resources/Post${path}`, body: fields },
  )
}

const cell = (page: Page, recordId: string) => page.locator(`[data-testid=collaborator-list-cell][data-record-id="${recordId}"]`)
const titles = (page: Page) => page.$$eval('tr[data-id] td[data-property-name=title]', (cells) => cells.map((cell) => cell.textContent?.trim() ?? ''))

test('rows show who is on them and change in place; filters, sorting and selection stay', async () => {
  await alice.page.goto(`${scene.app.adminUrl}/resources/Post`, { waitUntil: 'domcontentloaded' })
  const draftA = (await api(alice.page, '/actions/new', { title: 'Draft A', status: 'draft' })).id
  const draftB = (await api(alice.page, '/actions/new', { title: 'Draft B', status: 'draft' })).id

  const listUrl = `${scene.app.adminUrl}/resources/Post?filters.status=draft&sortBy=title&direction=asc`
  await bob.page.goto(listUrl, { waitUntil: 'domcontentloaded' })
  await bob.page.waitForSelector('[data-testid=collaborator-list] tr[data-id]')
  expect(await titles(bob.page)).toEqual(['Draft A', 'Draft B', 'Release notes draft'])
  await bob.page.click(`tr[data-id="${draftB}"] td:first-child`)
  await bob.page.waitForSelector(`tr[data-id="${draftB}"].selected`)
  await bob.page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true))

  // Alice edits post 2, Carol looks at it: both on its row.
  await alice.page.goto(await scene.editUrl(1), { waitUntil: 'domcontentloaded' })
  await waitForRole(alice.page, 'editor')
  await bob.page.waitForSelector('[data-testid=collaborator-list-cell][data-record-id="2"][data-editor-id=alice]', { timeout: 10_000 })
  expect(await cell(bob.page, '2').locator('[data-testid=collaborator-list-editor]').getAttribute('aria-label')).toBe('Alice Martin is editing')
  await carol.page.goto(`${scene.app.adminUrl}/resources/Post/records/2/show`, { waitUntil: 'domcontentloaded' })
  await bob.page.waitForSelector('[data-testid=collaborator-list-cell][data-record-id="2"][data-viewer-ids=carol]', { timeout: 10_000 })
  for (const file of screenshotPaths('live-list-presence')) await bob.page.screenshot({ path: file })

  // Alice saves: the row changes in place.
  await alice.page.fill('input[name=title]', 'Release notes final')
  await alice.page.click('[data-testid=collaborator-form] button[type=submit]')
  await bob.page.waitForSelector('[data-testid=collaborator-list-cell][data-record-id="2"][data-change=updated]', { timeout: 10_000 })
  await bob.page.waitForFunction(() => [...document.querySelectorAll('tr[data-id="2"] td[data-property-name=title]')].some((td) => td.textContent?.includes('Release notes final')))
  expect(await cell(bob.page, '2').locator('[data-testid=collaborator-list-change]').textContent()).toBe('Updated by Alice Martin')

  // A new draft appears where the sort puts it; a published post does not (Bob's filter holds).
  const draftC = (await api(alice.page, '/actions/new', { title: 'Draft C', status: 'draft' })).id
  await api(alice.page, '/actions/new', { title: 'Published elsewhere', status: 'published' })
  await bob.page.waitForSelector(`[data-testid=collaborator-list-cell][data-record-id="${draftC}"][data-change=created]`, { timeout: 10_000 })
  expect(await titles(bob.page)).toEqual(['Draft A', 'Draft B', 'Draft C', 'Release notes final'])

  // Alice deletes Draft A: the row stays, marked, with nothing left to do to it.
  expect((await api(alice.page, `/records/${draftA}/delete`)).notice).toBe('success')
  await bob.page.waitForSelector(`[data-testid=collaborator-list-cell][data-record-id="${draftA}"][data-change=deleted]`, { timeout: 10_000 })
  expect(await cell(bob.page, draftA).locator('[data-testid=collaborator-list-change]').textContent()).toBe('Deleted by Alice Martin')
  expect(await bob.page.locator(`tr[data-id="${draftA}"] [data-testid=actions-dropdown]`).count()).toBe(0)

  // What Bob set is as he left it, and the page never reloaded.
  expect(bob.page.url()).toBe(listUrl)
  expect(await bob.page.locator(`tr[data-id="${draftB}"].selected`).count()).toBe(1)
  expect(await bob.page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true)
  for (const file of screenshotPaths('live-list-changes')) await bob.page.screenshot({ path: file })
  for (const session of [alice, bob, carol]) expect(session.pageErrors).toEqual([])
}, 90_000)

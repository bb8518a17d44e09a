/**
 * Presence, attention, hand-over and live updates as three people see them, in Chromium against
 * the example admin. Alice edits; Bob and Carol watch.
 */
import type { Page } from 'playwright-core'
import { users, type TestApp } from './support/app.js'
import { screenshotPaths, startBrowserScene, waitForRole, type BrowserScene, type UserSession } from './support/browser.js'

let scene: BrowserScene
let app: TestApp
let alice: UserSession
let bob: UserSession
let carol: UserSession
let editUrl: string
let userIds: Record<'alice' | 'bob' | 'carol', string>

/** The user ids on the presence bar, and which of them is marked as editing. */
async function presence(page: Page): Promise<Array<{ id: string; editing: boolean }>> {
  return page.$$eval('[data-testid=collaborator-avatar]', (avatars) =>
    avatars.map((a) => ({ id: a.getAttribute('data-user-id') ?? '', editing: a.getAttribute('data-editing') === 'true' })),
  )
}

async function waitForPresence(page: Page, expected: Array<{ id: string; editing: boolean }>): Promise<void> {
  const sorted = (list: Array<{ id: string; editing: boolean }>) => [...list].sort((a, b) => a.id.localeCompare(b.id))
  const want = JSON.stringify(sorted(expected))
  await page
    .waitForFunction(
      (wanted) => {
        const avatars = [...document.querySelectorAll('[data-testid=collaborator-avatar]')]
        const seen = avatars.map((a) => ({ id: a.getAttribute('data-user-id') ?? '', editing: a.getAttribute('data-editing') === 'true' })).sort((a, b) => a.id.localeCompare(b.id))
        return JSON.stringify(seen) === wanted
      },
      want,
      { timeout: 10_000 },
    )
    .catch(async (error) => {
      throw new Error(`presence never became ${want}; last seen ${JSON.stringify(await presence(page))}: ${String(error)}`)
    })
}

beforeAll(async () => {
  scene = await startBrowserScene({ reconnectGraceMs: 500, notificationRequestIntervalMs: 2000 })
  app = scene.app
  editUrl = await scene.editUrl(1)
  alice = await scene.login(users.alice)
  bob = await scene.login(users.bob)
  carol = await scene.login(users.carol)
  userIds = { alice: 'alice', bob: 'bob', carol: 'carol' }
}, 120_000)

afterAll(() => scene?.close())

async function markNotReloaded(page: Page): Promise<void> {
  await page.evaluate(() => {
    ;(window as unknown as { notReloaded: boolean }).notReloaded = true
  })
}

async function stillNotReloaded(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true)
}

async function role(page: Page): Promise<string | null> {
  return page.getAttribute('[data-testid=collaborator-status]', 'data-role')
}

test('three people on a record: presence, attention, hand-over, live updates, drafts', async () => {
  await alice.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(alice.page, 'editor')
  for (const { page } of [bob, carol]) {
    await page.goto(editUrl, { waitUntil: 'domcontentloaded' })
    await waitForRole(page, 'viewer')
    await markNotReloaded(page)
  }
  await markNotReloaded(alice.page)
  const originalTitle = await bob.page.inputValue('input[name=title]')

  // Presence: all three on every page, alice marked as editing; the late joiners see everyone.
  for (const { page } of [alice, bob, carol]) {
    await waitForPresence(page, [
      { id: userIds.alice, editing: true },
      { id: userIds.bob, editing: false },
      { id: userIds.carol, editing: false },
    ])
  }
  for (const file of screenshotPaths('presence-bar')) await bob.page.screenshot({ path: file })

  // Attention: bob asks, alice is told; bob's button waits out the interval.
  await alice.page.fill('input[name=title]', 'Alice has unsaved changes')
  await bob.page.click('[data-testid=collaborator-attention-button]')
  await alice.page.waitForSelector('[data-testid=collaborator-attention-notice]', { timeout: 10_000 })
  expect(await alice.page.textContent('[data-testid=collaborator-attention-notice]')).toContain("User Bob Chen is requesting the editor's attention.")
  expect(await bob.page.isDisabled('[data-testid=collaborator-attention-button]')).toBe(true)
  for (const file of screenshotPaths('attention-request')) await alice.page.screenshot({ path: file })

  // Hand-over: bob becomes the editor in place with the saved data; alice becomes a viewer.
  await alice.page.click('[data-testid=collaborator-handover]')
  await waitForRole(bob.page, 'editor')
  await waitForRole(alice.page, 'viewer')
  expect(await bob.page.isEditable('input[name=title]')).toBe(true)
  expect(await bob.page.inputValue('input[name=title]')).toBe(originalTitle)
  for (const { page } of [alice, bob, carol]) {
    await waitForPresence(page, [
      { id: userIds.alice, editing: false },
      { id: userIds.bob, editing: true },
      { id: userIds.carol, editing: false },
    ])
  }

  // Bob saves (AdminJS then takes him to the list, which frees the lock): both other forms
  // show his data in place, and whoever is still watching is told who saved.
  await bob.page.fill('input[name=title]', 'Saved while others watch')
  await bob.page.click('[data-testid=button-save]')
  for (const { page } of [alice, carol]) {
    await page.waitForFunction(() => (document.querySelector('input[name=title]') as HTMLInputElement | null)?.value === 'Saved while others watch', null, { timeout: 10_000 })
    expect(await stillNotReloaded(page)).toBe(true)
  }
  expect((await app.postById(editUrl.split('/').at(-2)!))?.title).toBe('Saved while others watch')
  // The forms show bob's data as soon as his save is announced; the lock follows once his page has
  // left the edit form (AdminJS redirects after the save), so wait for one of them to hold it.
  await Promise.any([waitForRole(alice.page, 'editor'), waitForRole(carol.page, 'editor')])
  const [aliceRole, carolRole] = [await role(alice.page), await role(carol.page)]
  expect([aliceRole, carolRole].sort()).toEqual(['editor', 'viewer'])
  const watcher = aliceRole === 'viewer' ? alice : carol
  expect(await watcher.page.textContent('[data-testid=collaborator-saved-notice]')).toContain('Bob Chen')

  // On the record's show page, Bob still sees everyone there.
  await bob.page.goto(editUrl.replace(/\/edit$/, '/show'), { waitUntil: 'domcontentloaded' })
  await waitForPresence(bob.page, [
    { id: userIds.alice, editing: aliceRole === 'editor' },
    { id: userIds.bob, editing: false },
    { id: userIds.carol, editing: carolRole === 'editor' },
  ])

  // When the lock comes back to alice, what she typed before handing over is offered back.
  if (carolRole === 'editor') {
    await carol.page.goto(`${app.adminUrl}/resources/Post`, { waitUntil: 'domcontentloaded' })
    await waitForRole(alice.page, 'editor')
  }
  await alice.page.waitForSelector('[data-testid=collaborator-draft]', { timeout: 10_000 })
  await alice.page.click('[data-testid=collaborator-draft-restore]')
  expect(await alice.page.inputValue('input[name=title]')).toBe('Alice has unsaved changes')

  for (const session of [alice, bob, carol]) expect(session.pageErrors).toEqual([])
}, 90_000)

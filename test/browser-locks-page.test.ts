/**
 * The locks page in Chromium: Carol (allowed by `canForceRelease`) opens it, sees Alice's lock
 * appear as Alice starts editing, without a reload, and releases it. Alice's page reacts in place:
 * it becomes a viewer, says Carol released the lock, and offers her typing back as a draft once she
 * edits again. The audit log on Carol's page shows the forced release.
 */
import { users } from './support/app.js'
import { screenshotPaths, startBrowserScene, waitForRole, type BrowserScene, type UserSession } from './support/browser.js'

let scene: BrowserScene
let alice: UserSession
let carol: UserSession
let editUrl: string

beforeAll(async () => {
  scene = await startBrowserScene({ canForceRelease: ({ user }) => user.id === 'carol' })
  editUrl = await scene.editUrl(0)
  alice = await scene.login(users.alice)
  carol = await scene.login(users.carol)
}, 120_000)

afterAll(() => scene?.close())

test("an admin sees a lock appear live, releases it, and the editor's page keeps the draft and says who", async () => {
  await carol.page.goto(`${scene.app.adminUrl}/pages/locks`, { waitUntil: 'domcontentloaded' })
  await carol.page.waitForSelector('[data-testid=collaborator-locks-page][data-can-view-all=true]', { timeout: 15_000 })
  expect(await carol.page.locator('[data-testid=collaborator-lock-row]').count()).toBe(0)

  await alice.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(alice.page, 'editor')
  await alice.page.fill('input[name=title]', 'Alice is typing')

  // No reload on Carol's side: the row arrives over the socket.
  const row = carol.page.locator('[data-testid=collaborator-all-locks] [data-testid=collaborator-lock-row][data-holder-id=alice]')
  await row.waitFor({ timeout: 10_000 })
  expect(await row.textContent()).toContain('Alice Martin')
  await carol.page.locator('[data-testid=collaborator-audit-entry][data-kind=granted]').first().waitFor({ timeout: 10_000 })
  for (const file of screenshotPaths('locks-page')) await carol.page.screenshot({ path: file, fullPage: true })

  await row.locator('[data-testid=collaborator-lock-release]').click()
  await row.waitFor({ state: 'detached', timeout: 10_000 })

  // Alice's page: a viewer now, told who released the lock; her typing is not lost.
  await waitForRole(alice.page, 'viewer')
  const notice = alice.page.locator('[data-testid=collaborator-lock-ended][data-by=carol]')
  await notice.waitFor({ timeout: 10_000 })
  expect(await notice.textContent()).toContain('Carol Diaz released your lock')
  expect(await alice.page.isEditable('input[name=title]')).toBe(false)
  for (const file of screenshotPaths('lock-released-by-admin')) await alice.page.screenshot({ path: file })

  // Nobody else wanted it: it stays free until Alice asks again, and then her draft is offered.
  await alice.page.locator('[data-testid=collaborator-edit-again]').click()
  await waitForRole(alice.page, 'editor')
  await alice.page.locator('[data-testid=collaborator-draft]').waitFor({ timeout: 10_000 })
  await alice.page.locator('[data-testid=collaborator-draft-restore]').click()
  expect(await alice.page.inputValue('input[name=title]')).toBe('Alice is typing')

  // Carol's audit log has the forced release, with who did it.
  const forced = carol.page.locator('[data-testid=collaborator-audit-entry][data-kind=force-released]').first()
  await forced.waitFor({ timeout: 10_000 })
  expect(await forced.textContent()).toContain('lock released by Carol Diaz')
  // Filtered by user: only Alice's events (hers, or ones about her lock).
  await forced.locator('[data-testid=collaborator-audit-user]').click()
  await carol.page.locator('[data-testid=collaborator-audit-filter]').waitFor({ timeout: 5000 })
  await carol.page.waitForFunction(() => [...document.querySelectorAll('[data-testid=collaborator-audit-entry]')].every((entry) => entry.getAttribute('data-user-id') === 'alice'))
  for (const file of screenshotPaths('locks-page-audit')) await carol.page.screenshot({ path: file, fullPage: true })
}, 90_000)

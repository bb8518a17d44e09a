/**
 * Idle release and take-over by policy as people see them (#13), in Chromium, with two users and
 * short timeouts: the idle editor is warned, then loses the lock to the waiting viewer and gets
 * their input back as a draft; "Keep editing" keeps it; "Take over" appears only once the policy
 * allows it, and the old editor's page says who took over and offers the draft. No time asserted.
 */
import { users } from './support/app.js'
import { auditOnLocksPage, screenshotPaths, startBrowserScene, waitForRole, type BrowserScene, type UserSession } from './support/browser.js'

async function shoot(session: UserSession, name: string): Promise<void> {
  for (const file of screenshotPaths(name)) await session.page.screenshot({ path: file })
}

describe('idle release', () => {
  let scene: BrowserScene
  let alice: UserSession
  let bob: UserSession

  beforeAll(async () => {
    // Warned after 1.5 s without activity, released after 5 s.
    scene = await startBrowserScene({ idleTimeoutMs: 5000, idleWarningMs: 3500, takeOverAfterIdleMs: 600_000 })
    alice = await scene.login(users.alice)
    bob = await scene.login(users.bob)
  }, 120_000)
  afterAll(() => scene?.close())

  test('the idle editor is warned, then the viewer becomes editor, and the input comes back as a draft', async () => {
    const editUrl = await scene.editUrl(0)
    await alice.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
    await waitForRole(alice.page, 'editor')
    await alice.page.fill('input[name=title]', 'Alice typed this, then left')
    await bob.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
    await waitForRole(bob.page, 'viewer')

    const warning = alice.page.locator('[data-testid=collaborator-idle-warning]')
    await warning.waitFor({ timeout: 10_000 })
    expect(await warning.textContent()).toMatch(/Are you still editing\? The lock will be released in \d+ s\./)
    await shoot(alice, 'idle-warning')

    await waitForRole(bob.page, 'editor', 15_000)
    await waitForRole(alice.page, 'viewer')
    const lost = alice.page.locator('[data-testid=collaborator-lock-lost][data-kind=idle]')
    await lost.waitFor()
    expect(await lost.textContent()).toContain('Your changes are kept as a draft')
    expect(await warning.count()).toBe(0)
    expect(await alice.page.isEditable('input[name=title]')).toBe(false)
    await shoot(alice, 'idle-released')
    await shoot(bob, 'idle-viewer-became-editor')

    // Bob leaves; alice asks for the lock again and gets her input offered back.
    await bob.page.goto(`${scene.app.adminUrl}/resources/Post`, { waitUntil: 'domcontentloaded' })
    await alice.page.click('[data-testid=collaborator-edit-again]')
    await waitForRole(alice.page, 'editor')
    await alice.page.click('[data-testid=collaborator-draft-restore]')
    expect(await alice.page.inputValue('input[name=title]')).toBe('Alice typed this, then left')
    expect(alice.pageErrors).toEqual([])
    expect(bob.pageErrors).toEqual([])
    const audit = await auditOnLocksPage(bob, scene.app.adminUrl, [{ kind: 'idle-released', userId: 'alice' }])
    expect(audit['idle-released']).toContain('lost the lock (inactive)')
    await alice.page.goto(`${scene.app.adminUrl}/resources/Post`, { waitUntil: 'domcontentloaded' })
  }, 60_000)

  test('"Keep editing" keeps the lock', async () => {
    const editUrl = await scene.editUrl(1)
    await alice.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
    await waitForRole(alice.page, 'editor')
    await bob.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
    await waitForRole(bob.page, 'viewer')
    const warning = alice.page.locator('[data-testid=collaborator-idle-warning]')
    await warning.waitFor({ timeout: 10_000 })
    await alice.page.click('[data-testid=collaborator-keep-editing]')
    await warning.waitFor({ state: 'detached' })
    // The next warning comes from the activity just reported: the lock was never released.
    await warning.waitFor({ timeout: 10_000 })
    expect(await alice.page.getAttribute('[data-testid=collaborator-status]', 'data-role')).toBe('editor')
    expect(await alice.page.locator('[data-testid=collaborator-lock-lost]').count()).toBe(0)
    expect(await bob.page.getAttribute('[data-testid=collaborator-status]', 'data-role')).toBe('viewer')
    await alice.page.click('[data-testid=collaborator-keep-editing]')
    await bob.page.goto(`${scene.app.adminUrl}/resources/Post`, { waitUntil: 'domcontentloaded' })
    await alice.page.goto(`${scene.app.adminUrl}/resources/Post`, { waitUntil: 'domcontentloaded' })
  }, 60_000)
})

describe('take-over by policy', () => {
  let scene: BrowserScene
  let alice: UserSession
  let bob: UserSession

  beforeAll(async () => {
    scene = await startBrowserScene({ idleTimeoutMs: 0, takeOverAfterIdleMs: 3000 })
    alice = await scene.login(users.alice)
    bob = await scene.login(users.bob)
  }, 120_000)
  afterAll(() => scene?.close())

  test('"Take over" appears only once allowed; the old editor is told who took over and offered the draft', async () => {
    const editUrl = await scene.editUrl(0)
    await alice.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
    await waitForRole(alice.page, 'editor')
    await alice.page.fill('input[name=title]', 'Alice was here')
    await bob.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
    await waitForRole(bob.page, 'viewer')

    // Refused at first, saying when alice was last active; no button.
    const refused = bob.page.locator('[data-testid=collaborator-takeover-refused]')
    await refused.waitFor()
    expect(await refused.textContent()).toMatch(/^Alice Martin was active \d+ s ago\.$/)
    expect(await bob.page.locator('[data-testid=collaborator-takeover-other]').count()).toBe(0)
    await shoot(bob, 'takeover-refused')

    // Once the policy allows it, the server says so and the button appears.
    const button = bob.page.locator('[data-testid=collaborator-takeover-other]')
    await button.waitFor({ timeout: 15_000 })
    expect(await refused.count()).toBe(0)
    await shoot(bob, 'takeover-allowed')
    await button.click()
    await waitForRole(bob.page, 'editor')
    expect(await bob.page.isEditable('input[name=title]')).toBe(true)

    await waitForRole(alice.page, 'viewer')
    const lost = alice.page.locator('[data-testid=collaborator-lock-lost][data-kind=taken-over]')
    await lost.waitFor()
    expect(await lost.textContent()).toContain('Bob Chen took over editing. Your changes are kept as a draft.')
    expect(await alice.page.textContent('[data-testid=collaborator-overlay]')).toContain('This page is being edited by Bob Chen')
    await shoot(alice, 'taken-over')

    // Bob leaves; alice edits again and her input is offered back.
    await bob.page.goto(`${scene.app.adminUrl}/resources/Post`, { waitUntil: 'domcontentloaded' })
    await alice.page.click('[data-testid=collaborator-edit-again]')
    await waitForRole(alice.page, 'editor')
    await alice.page.locator('[data-testid=collaborator-draft]').waitFor()
    await alice.page.click('[data-testid=collaborator-draft-restore]')
    expect(await alice.page.inputValue('input[name=title]')).toBe('Alice was here')
    expect(alice.pageErrors).toEqual([])
    expect(bob.pageErrors).toEqual([])
    const audit = await auditOnLocksPage(bob, scene.app.adminUrl, [{ kind: 'taken-over', userId: 'alice' }])
    expect(audit['taken-over']).toContain('lost the lock to Bob Chen (take-over)')
  }, 60_000)
})

describe("presence shows the editor's state", () => {
  let scene: BrowserScene
  let alice: UserSession
  let bob: UserSession

  beforeAll(async () => {
    scene = await startBrowserScene({ idleTimeoutMs: 0 })
    alice = await scene.login(users.alice)
    bob = await scene.login(users.bob)
  }, 120_000)
  afterAll(() => scene?.close())

  test('a viewer sees "unsaved changes" come and go with the editor\'s input, and "idle for" once the editor has been quiet', async () => {
    const editUrl = await scene.editUrl(2)
    await alice.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
    await waitForRole(alice.page, 'editor')
    // Bob's page gets a clock the test can move: "idle for" needs a minute without activity.
    await bob.page.clock.install()
    await bob.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
    await waitForRole(bob.page, 'viewer')
    const state = bob.page.locator('[data-testid=collaborator-editor-state]')
    const aliceAvatar = bob.page.locator('[data-testid=collaborator-avatar][data-editing=true]')
    expect(await aliceAvatar.getAttribute('aria-label')).toBe('Alice Martin (editing)')
    expect(await state.count()).toBe(0)

    const original = await alice.page.inputValue('input[name=title]')
    await alice.page.fill('input[name=title]', `${original} (being rewritten)`)
    await bob.page.locator('[data-testid=collaborator-editor-state][data-unsaved=true]').waitFor()
    expect(await state.textContent()).toBe('Alice Martin: unsaved changes')
    expect(await aliceAvatar.getAttribute('aria-label')).toBe('Alice Martin (editing, unsaved changes)')
    await shoot(bob, 'presence-editor-unsaved')

    // A minute later on Bob's clock, with no word from Alice: idle, counted on.
    await bob.page.clock.setSystemTime(Date.now() + 61_000)
    await bob.page.locator('[data-testid=collaborator-editor-state][data-idle=true]').waitFor({ timeout: 10_000 })
    expect(await state.textContent()).toMatch(/^Alice Martin: idle for \d+ s · unsaved changes$/)
    expect(await aliceAvatar.getAttribute('aria-label')).toMatch(/^Alice Martin \(editing, idle for \d+ s, unsaved changes\)$/)
    await shoot(bob, 'presence-editor-idle')

    // Alice puts the title back: nothing unsaved, and she was just active.
    await alice.page.fill('input[name=title]', original)
    await state.waitFor({ state: 'detached' })
    expect(await aliceAvatar.getAttribute('aria-label')).toBe('Alice Martin (editing)')
    expect(alice.pageErrors).toEqual([])
    expect(bob.pageErrors).toEqual([])
  }, 60_000)
})

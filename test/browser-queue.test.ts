/**
 * The record's line as people see it, in Chromium, three users: bob and carol join the line in that
 * order ("Notify me when free"), alice leaves, bob (in a background tab) becomes the editor in
 * place and is told by his title and a browser notification, and carol moves up to "1st in line";
 * carol's attention request reaches bob's background tab the same way.
 */
import type { Page } from 'playwright-core'
import { users } from './support/app.js'
import { auditOnLocksPage, screenshotPaths, setHidden, startBrowserScene, waitForRole, type BrowserScene, type UserSession } from './support/browser.js'

let scene: BrowserScene
let alice: UserSession
let bob: UserSession
let carol: UserSession
let editUrl: string

beforeAll(async () => {
  scene = await startBrowserScene({ reconnectGraceMs: 500 })
  editUrl = await scene.editUrl(1)
  alice = await scene.login(users.alice)
  bob = await scene.login(users.bob)
  carol = await scene.login(users.carol)
}, 120_000)

afterAll(() => scene?.close())

/** Notifications the page shows, recorded; the user has allowed them. */
async function recordNotifications(page: Page): Promise<void> {
  await page.evaluate(() => {
    const shown: Array<{ title: string; body?: string }> = []
    ;(window as unknown as { shownNotifications: typeof shown }).shownNotifications = shown
    class Recorded {
      static permission = 'granted'
      static requestPermission = () => Promise.resolve('granted')
      onclick: (() => void) | null = null
      constructor(title: string, options?: { body?: string }) {
        shown.push({ title, body: options?.body })
      }
      close() {}
    }
    ;(window as unknown as { Notification: unknown }).Notification = Recorded
  })
}

const queueText = (page: Page) => page.textContent('[data-testid=collaborator-queue-position]')

test('two viewers wait in order; when the editor leaves the first edits in place and the second moves up', async () => {
  await alice.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(alice.page, 'editor')

  await bob.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(bob.page, 'viewer')
  await recordNotifications(bob.page)
  await bob.page.click('[data-testid=collaborator-queue-join]')
  await bob.page.waitForSelector('[data-testid=collaborator-queue][data-position="1"]')
  expect(await queueText(bob.page)).toBe('You are 1st in line for this record.')

  await carol.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(carol.page, 'viewer')
  await carol.page.click('[data-testid=collaborator-queue-join]')
  await carol.page.waitForSelector('[data-testid=collaborator-queue][data-position="2"]')
  expect(await queueText(carol.page)).toBe('You are 2nd in line for this record.')
  // Bob's page hears the line grow.
  await bob.page.waitForSelector('[data-testid=collaborator-queue][data-length="2"]')
  for (const file of screenshotPaths('queue-second-in-line')) await carol.page.screenshot({ path: file })

  // Bob looks at another tab; alice leaves the record.
  await setHidden(bob.page, true)
  const title = await bob.page.title()
  await bob.page.evaluate(() => {
    ;(window as unknown as { notReloaded: boolean }).notReloaded = true
  })
  await alice.page.goto(`${scene.app.adminUrl}/resources/Post`, { waitUntil: 'domcontentloaded' })

  await waitForRole(bob.page, 'editor')
  expect(await bob.page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true)
  expect(await bob.page.isEditable('input[name=title]')).toBe(true)
  await bob.page.waitForFunction(() => document.title.startsWith('Your turn to edit · '))
  expect(await bob.page.evaluate(() => (window as unknown as { shownNotifications: unknown[] }).shownNotifications)).toEqual([
    { title: 'Your turn to edit', body: 'The record is free: you are editing it now.' },
  ])

  // Carol moved up, and still watches (bob edits now).
  await carol.page.waitForSelector('[data-testid=collaborator-queue][data-position="1"]')
  expect(await queueText(carol.page)).toBe('You are 1st in line for this record.')
  expect(await carol.page.textContent('[data-testid=collaborator-overlay]')).toContain('This page is being edited by Bob Chen')
  for (const file of screenshotPaths('queue-first-in-line')) await carol.page.screenshot({ path: file })

  // Back in front, bob's title is his page's again.
  await setHidden(bob.page, false)
  await bob.page.waitForFunction((expected) => document.title === expected, title)
  for (const file of screenshotPaths('queue-turn-editor')) await bob.page.screenshot({ path: file })

  // Carol leaves the line: the button is offered again.
  await carol.page.click('[data-testid=collaborator-queue-leave]')
  await carol.page.waitForSelector('[data-testid=collaborator-queue-join]')

  // An attention request reaches the editor in the background the same way.
  await setHidden(bob.page, true)
  await carol.page.click('[data-testid=collaborator-attention-button]')
  await bob.page.waitForFunction(() => document.title.startsWith('Carol Diaz asks for the record · '))
  expect(await bob.page.evaluate(() => (window as unknown as { shownNotifications: unknown[] }).shownNotifications)).toHaveLength(2)
  await setHidden(bob.page, false)
  await bob.page.waitForFunction((expected) => document.title === expected, title)
  for (const session of [alice, bob, carol]) expect(session.pageErrors).toEqual([])

  // The audit log on the locks page tells the line's story.
  const audit = await auditOnLocksPage(alice, scene.app.adminUrl, [
    { kind: 'queue-joined', userId: 'bob' },
    { kind: 'queue-joined', userId: 'carol' },
    { kind: 'queue-left', userId: 'carol' },
    { kind: 'granted', userId: 'bob' },
  ])
  expect(audit['queue-left']).toContain('Carol Diaz')
  expect(audit['queue-left']).toContain('left the line')
  for (const file of screenshotPaths('queue-audit')) await alice.page.screenshot({ path: file, fullPage: true })
})

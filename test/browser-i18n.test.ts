/**
 * The collaborator in the admin's language, in Chromium: the example admin offers English and
 * German with AdminJS's language detection (the language switcher keeps the choice in
 * localStorage `i18nextLng`). Alice switches to German with AdminJS's switcher while editing;
 * bob comes with German already chosen. Every collaborator text of the edit page (editor banner,
 * viewer overlay naming the editor and the time, presence labels, attention button), a refused
 * save (AdminJS's own notice, from the key and parameters the server sent) and the chat drawer are
 * German, and no English text of the package is left on the page.
 */
import type { Page } from 'playwright-core'
import { shippedTexts } from '../src/locales/index.js'
import { TAB_TOKEN_PARAM } from '../src/protocol.js'
import { defaultTexts, fillText, type TextKey } from '../src/texts.js'
import { users } from './support/app.js'
import { screenshotPaths, startBrowserScene, waitForRole, type BrowserScene, type UserSession } from './support/browser.js'

const WAIT = { timeout: 10_000 }
const de = shippedTexts.de!

let scene: BrowserScene
let alice: UserSession
let bob: UserSession
let editUrl: string

beforeAll(async () => {
  scene = await startBrowserScene({}, { locale: { language: 'en', availableLanguages: ['en', 'de'], localeDetection: true } })

  editUrl = await scene.editUrl(1)
  alice = await scene.login(users.alice)
  bob = await scene.login(users.bob)
}, 120_000)

afterAll(() => scene?.close())

const textOf = async (page: Page, selector: string) => (await page.textContent(selector, WAIT)) ?? ''

/** The English texts that would give the page away (those that read the same in German excepted). */
function englishLeftIn(content: string): string[] {
  return (Object.keys(defaultTexts) as TextKey[])
    .filter((key) => defaultTexts[key] !== de[key])
    .map((key) => defaultTexts[key].split(/\{\{\w+\}\}/)[0]!.trim())
    .filter((start) => start.length > 8 && content.includes(start))
}

/** A time of day as German writes it (24 hours, no AM/PM), the form `Intl` gives for `de`. */
const GERMAN_TIME = /\b\d{1,2}:\d{2}\b(?!\s*[AP]M)/

test('alice switches to German with the switcher, and the page she is editing follows', async () => {
  await alice.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(alice.page, 'editor')
  expect(await textOf(alice.page, '[data-testid=collaborator-banner]')).toContain(defaultTexts.editorModeText)

  // AdminJS's language switcher in the top bar (it shows the current language's name).
  await alice.page.getByRole('button', { name: 'English' }).click(WAIT)
  await alice.page.getByText('German', { exact: true }).click(WAIT)
  await alice.page.waitForFunction(() => localStorage.getItem('i18nextLng') === 'de', undefined, WAIT)
  await alice.page.waitForFunction((expected) => document.querySelector('[data-testid=collaborator-banner]')?.textContent?.includes(expected), de.editorModeText, WAIT)
  await alice.page.fill('input[name=title]', 'Alice schreibt')
})

test('bob, with German chosen, sees the editor, her time, the presence and the attention button in German', async () => {
  await bob.page.addInitScript(() => localStorage.setItem('i18nextLng', 'de'))
  await bob.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(bob.page, 'viewer')

  const overlay = await textOf(bob.page, '[data-testid=collaborator-overlay]')
  expect(overlay).toContain(fillText(de.viewerModeText, { editorName: 'Alice Martin' }))
  // "Bearbeitet seit 14:05." with the time as German writes it.
  const since = de.editorSinceText.split('{{time}}')[0]!
  expect(overlay).toContain(since)
  expect(overlay.slice(overlay.indexOf(since))).toMatch(GERMAN_TIME)
  expect(await textOf(bob.page, '[data-testid=collaborator-attention-button]')).toBe(de.notificationButtonText)

  await bob.page.waitForSelector('[data-testid=collaborator-avatar]:nth-of-type(2)', WAIT)
  const labels = await bob.page.$$eval('[data-testid=collaborator-avatar]', (items) => items.map((item) => item.getAttribute('aria-label')))
  // Alice has typed and not saved: her state says so, in German too.
  expect(labels).toEqual(expect.arrayContaining([`Alice Martin (${de.presenceEditingText}, ${de.presenceUnsavedText})`, `Bob Chen (${de.presenceViewingText})`]))
  expect(await textOf(bob.page, '[data-testid=collaborator-editor-state]')).toBe(`Alice Martin: ${de.presenceUnsavedText}`)

  // Asking the editor: the status under the button, and alice's notice, both German.
  await bob.page.click('[data-testid=collaborator-attention-button]')
  await bob.page.waitForSelector('[data-testid=collaborator-attention-status]', WAIT)
  expect(await textOf(bob.page, '[data-testid=collaborator-attention-status]')).toContain(de.notificationRequestSentText)
  const notice = await textOf(alice.page, '[data-testid=collaborator-attention-notice]')
  expect(notice).toContain(fillText(de.notificationMessage, { username: 'Bob Chen' }))
  expect(notice).toContain(fillText(de.handOverButtonText, { username: 'Bob Chen' }))

  for (const file of screenshotPaths('i18n-viewer-de')) await bob.page.screenshot({ path: file })
  expect(englishLeftIn(await textOf(bob.page, '[data-testid=collaborator-status]'))).toEqual([])
  expect(englishLeftIn(await textOf(alice.page, '[data-testid=collaborator-status]'))).toEqual([])
})

test("a refused save is AdminJS's notice in German, from the key and parameters the server sent, and the form keeps the input", async () => {
  // Alice's save as if from her other tab: the server refuses it (saveRefusedOtherTabText).
  let sent: { message?: string } | undefined
  await alice.page.route('**/api/resources/Post/records/*/edit', async (route) => {
    const body = route.request().postData() ?? ''
    const forged = body.replace(new RegExp(`(name="${TAB_TOKEN_PARAM}"\\r\\n\\r\\n)[^\\r]+`), '$1another-tab-token-of-alice')
    const response = await route.fetch({ postData: forged })
    sent = ((await response.json()) as { notice?: { message?: string } }).notice
    await route.fulfill({ response })
  })
  await alice.page.click('button[type=submit]')
  await alice.page.waitForSelector('[data-testid=notice-wrapper]', WAIT)
  expect(sent?.message).toBe('saveRefusedOtherTabText')
  expect(await textOf(alice.page, '[data-testid=notice-wrapper]')).toContain(de.saveRefusedOtherTabText)
  expect(await alice.page.inputValue('input[name=title]')).toBe('Alice schreibt')
  for (const file of screenshotPaths('i18n-refused-de')) await alice.page.screenshot({ path: file })
  await alice.page.unroute('**/api/resources/Post/records/*/edit')
})

test('the chat drawer speaks German: its titles, the empty states, a refusal and the time of a message', async () => {
  await bob.page.click('[data-testid=collaborator-chat-button]')
  const drawer = '[data-testid=collaborator-chat-drawer]'
  await bob.page.waitForSelector(drawer, WAIT)
  const drawerText = await textOf(bob.page, drawer)
  for (const key of ['chatEveryoneText', 'chatUserListTitle', 'chatStartConversationText', 'chatSendButtonText'] as const) expect(drawerText).toContain(de[key])
  expect(await bob.page.getAttribute('[data-testid=collaborator-chat-input]', 'placeholder')).toBe(de.chatInputPlaceholder)

  // An empty message is refused by the page, in German.
  await bob.page.click('[data-testid=collaborator-chat-send]')
  expect(await textOf(bob.page, '[data-testid=collaborator-chat-error]')).toContain(de.chatMessageEmptyText)

  await bob.page.fill('[data-testid=collaborator-chat-input]', 'Hallo Alice')
  await bob.page.click('[data-testid=collaborator-chat-send]')
  await bob.page.waitForSelector('[data-testid=collaborator-chat-message]', WAIT)
  expect(await textOf(bob.page, '[data-testid=collaborator-chat-message] time')).toMatch(GERMAN_TIME)
  for (const file of screenshotPaths('i18n-chat-de')) await bob.page.screenshot({ path: file })
  expect(englishLeftIn(await textOf(bob.page, drawer))).toEqual([])
})

/**
 * The chat drawer as two people see it, in Chromium against the example admin: Alice and Bob on the
 * same post's edit page write to each other one-to-one; markup typed into a message stays text;
 * the conversation survives a reload; a tab in the background counts unread messages in its title;
 * refusals are shown with the typed text kept; and a resource with `enableChat: false` has no chat.
 */
import type { Page } from 'playwright-core'
import { users, type TestApp } from './support/app.js'
import { screenshotPaths, setHidden, startBrowserScene, waitForRole, type BrowserScene, type UserSession } from './support/browser.js'

const WAIT = { timeout: 10_000 }
/** Small enough that Alice reaches it within this test, sending one message at a time. */
const MESSAGES_PER_MINUTE = 4
const MAX_LENGTH = 200
const XSS = '<img src=x onerror=window.__xss=1>'

let scene: BrowserScene
let app: TestApp
let alice: UserSession
let bob: UserSession
let editUrl: string

beforeAll(async () => {
  scene = await startBrowserScene({ reconnectGraceMs: 500, chatMessagesPerMinute: MESSAGES_PER_MINUTE, chatMaxLength: MAX_LENGTH }, { pageFeature: { enableChat: false } })
  app = scene.app

  editUrl = await scene.editUrl(2)
  alice = await scene.login(users.alice)
  bob = await scene.login(users.bob)
}, 120_000)

afterAll(() => scene?.close())

const chatButton = '[data-testid=collaborator-chat-button]'
const drawer = '[data-testid=collaborator-chat-drawer]'
const input = '[data-testid=collaborator-chat-input]'
const conversation = (withId: string) => `[data-testid=collaborator-chat-conversation][data-with="${withId}"]`

async function openDrawer(page: Page): Promise<void> {
  await page.click(chatButton)
  await page.waitForSelector(drawer, WAIT)
}

async function openConversation(page: Page, withId: string): Promise<void> {
  await page.click(conversation(withId), WAIT)
  await page.waitForSelector(`${conversation(withId)}[aria-current=true]`, WAIT)
}

/** The messages of the open conversation, as the reader sees them. */
async function messages(page: Page): Promise<Array<{ from: string; text: string }>> {
  return page.$$eval('[data-testid=collaborator-chat-message]', (items) =>
    items.map((item) => ({
      from: item.getAttribute('data-from') ?? '',
      text: item.querySelector('[data-testid=collaborator-chat-text]')?.textContent ?? '',
    })),
  )
}

async function waitForMessageCount(page: Page, count: number): Promise<void> {
  await page
    .waitForFunction((n) => document.querySelectorAll('[data-testid=collaborator-chat-message]').length === n, count, WAIT)
    .catch(async (error) => {
      throw new Error(`expected ${count} messages; saw ${JSON.stringify(await messages(page))}: ${String(error)}`)
    })
}

/** Types into the chat input and sends with Enter. */
async function send(page: Page, text: string): Promise<void> {
  await page.fill(input, text)
  await page.press(input, 'Enter')
}

async function xssRan(page: Page): Promise<unknown> {
  return page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)
}

test('two people chat one-to-one: live, unread counts, text kept as text, history after a reload, title count', async () => {
  await alice.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(alice.page, 'editor')
  await bob.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
  await waitForRole(bob.page, 'viewer')

  // Alice opens the drawer: the record's conversation, and Bob listed as online.
  await openDrawer(alice.page)
  await alice.page.waitForSelector(conversation('bob'), WAIT)
  const drawerText = await alice.page.textContent(drawer)
  expect(drawerText).toContain('Everyone on this record')
  expect(drawerText).toContain('Online users')
  expect(await alice.page.textContent(conversation('bob'))).toContain('Bob Chen')
  expect(await alice.page.textContent(conversation('bob'))).toContain('Online')
  expect(await alice.page.$(conversation(''))).not.toBeNull()
  expect(await alice.page.$(conversation('alice'))).toBeNull()

  // Her conversation with Bob is empty; she writes markup into it.
  await openConversation(alice.page, 'bob')
  await alice.page.waitForSelector('text=No messages yet. Start the conversation!', WAIT)
  expect(await alice.page.getAttribute(input, 'placeholder')).toBe('Type a message…')
  await send(alice.page, `Hi Bob ${XSS}`)
  await waitForMessageCount(alice.page, 1)
  expect(await alice.page.inputValue(input)).toBe('')

  // Bob's closed chat counts it.
  await bob.page.waitForFunction(() => document.querySelector('[data-testid=collaborator-chat-unread]')?.textContent === '1', null, WAIT)
  await openDrawer(bob.page)
  expect(await bob.page.$('[data-testid=collaborator-chat-unread]')).toBeNull()
  expect(await bob.page.textContent(`${conversation('alice')} [data-testid=collaborator-chat-conversation-unread]`)).toBe('1')
  await openConversation(bob.page, 'alice')
  await waitForMessageCount(bob.page, 1)
  expect(await bob.page.$(`${conversation('alice')} [data-testid=collaborator-chat-conversation-unread]`)).toBeNull()

  // Shown literally: no element made of it, nothing run, sender, avatar and time next to it.
  const read = bob.page.locator('[data-testid=collaborator-chat-message]').first()
  expect(await read.getAttribute('data-from')).toBe('alice')
  expect(await read.textContent()).toContain(`Hi Bob ${XSS}`)
  expect(await read.textContent()).toContain('Alice Martin')
  expect(await read.locator('img').count()).toBe(0)
  expect(await read.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/)
  expect(await read.locator('[aria-hidden=true]').count()).toBeGreaterThan(0)
  expect(await xssRan(bob.page)).toBeUndefined()
  expect(await xssRan(alice.page)).toBeUndefined()

  // Bob replies on two lines (Shift+Enter); Alice, reading the conversation, gets it live, unread nowhere.
  await bob.page.fill(input, 'Hello Alice')
  await bob.page.press(input, 'Shift+Enter')
  await bob.page.type(input, 'I am only watching')
  await bob.page.press(input, 'Enter')
  await waitForMessageCount(alice.page, 2)
  expect(await messages(alice.page)).toEqual([
    { from: 'alice', text: `Hi Bob ${XSS}` },
    { from: 'bob', text: 'Hello Alice\nI am only watching' },
  ])
  expect(await alice.page.$('[data-testid=collaborator-chat-conversation-unread]')).toBeNull()
  for (const file of screenshotPaths('chat-drawer')) await alice.page.screenshot({ path: file })

  // After a reload the conversation is still there, in order.
  await bob.page.reload({ waitUntil: 'domcontentloaded' })
  await waitForRole(bob.page, 'viewer')
  await openDrawer(bob.page)
  await openConversation(bob.page, 'alice')
  await waitForMessageCount(bob.page, 2)
  expect(await messages(bob.page)).toEqual(await messages(alice.page))

  // In the background, Bob's tab counts Alice's next message in its title, until he looks again.
  const title = await bob.page.title()
  expect(title).not.toMatch(/^\(\d+\) /)
  await setHidden(bob.page, true)
  await send(alice.page, 'Are you there?')
  await bob.page.waitForFunction(() => document.title.startsWith('(1) '), null, WAIT)
  expect(await bob.page.title()).toBe(`(1) ${title}`)
  await setHidden(bob.page, false)
  await bob.page.waitForFunction((original) => document.title === original, title, WAIT)
  await waitForMessageCount(bob.page, 3)

  for (const session of [alice, bob]) expect(session.pageErrors).toEqual([])
}, 90_000)

test('a refused message is explained to its sender and stays in the input', async () => {
  // Alice's drawer is still open on her conversation with Bob, who is still on the record.
  await alice.page.waitForSelector(`${conversation('bob')}[aria-current=true]`, WAIT)

  await alice.page.fill(input, '   ')
  await alice.page.press(input, 'Enter')
  await alice.page.waitForSelector('[data-testid=collaborator-chat-error][data-code=message_empty]', WAIT)
  expect(await alice.page.textContent('[data-testid=collaborator-chat-error]')).toContain('Type something to send.')

  const tooLong = 'x'.repeat(MAX_LENGTH + 1)
  await send(alice.page, tooLong)
  await alice.page.waitForSelector('[data-testid=collaborator-chat-error][data-code=message_too_long]', WAIT)
  expect(await alice.page.textContent('[data-testid=collaborator-chat-error]')).toContain(`Messages can be at most ${MAX_LENGTH} characters.`)
  expect(await alice.page.inputValue(input)).toBe(tooLong)

  await alice.page.click('[data-testid=collaborator-chat-error] button')
  await alice.page.waitForSelector('[data-testid=collaborator-chat-error]', { state: 'detached', ...WAIT })
  expect(await alice.page.inputValue(input)).toBe(tooLong)

  // The server counts every message of hers this minute; she sends until it refuses one.
  const sentBefore = (await messages(alice.page)).length
  let refusedText: string | null = null
  for (let attempt = 1; attempt <= MESSAGES_PER_MINUTE + 1 && refusedText === null; attempt++) {
    const text = `Message number ${attempt}`
    await send(alice.page, text)
    const outcome = await alice.page.waitForFunction(
      () => {
        const error = document.querySelector('[data-testid=collaborator-chat-error]')?.getAttribute('data-code')
        if (error) return `error:${error}`
        return (document.querySelector('[data-testid=collaborator-chat-input]') as HTMLTextAreaElement | null)?.value === '' ? 'sent' : false
      },
      null,
      WAIT,
    )
    const result = await outcome.jsonValue()
    if (result !== 'sent') {
      expect(result).toBe('error:rate_limited')
      refusedText = text
    }
  }
  expect(refusedText).not.toBeNull()
  expect(await alice.page.textContent('[data-testid=collaborator-chat-error]')).toMatch(/You are sending messages too fast; try again in \d+ s\./)
  expect(await alice.page.inputValue(input)).toBe(refusedText)
  // Nothing refused was shown as sent.
  expect((await messages(alice.page)).map(({ text }) => text)).not.toContain(refusedText)
  expect((await messages(alice.page)).length).toBeGreaterThan(sentBefore)

  expect(alice.pageErrors).toEqual([])
}, 60_000)

test('the show page offers the chat too; a resource with enableChat: false has none', async () => {
  await bob.page.goto(editUrl.replace(/\/edit$/, '/show'), { waitUntil: 'domcontentloaded' })
  await bob.page.waitForSelector(chatButton, WAIT)
  await openDrawer(bob.page)
  await openConversation(bob.page, 'alice')
  await waitForMessageCount(bob.page, (await messages(alice.page)).length)

  const pageId = (await app.pageIds())[0]!
  await alice.page.goto(`${app.adminUrl}/resources/Page/records/${encodeURIComponent(pageId)}/edit`, { waitUntil: 'domcontentloaded' })
  await waitForRole(alice.page, 'editor')
  await alice.page.waitForSelector('[data-testid=collaborator-presence]', WAIT)
  expect(await alice.page.$(chatButton)).toBeNull()
  expect(await alice.page.$(drawer)).toBeNull()

  // Alone on the post now, Bob is told so, and can still read what Alice wrote before she left.
  await bob.page.waitForSelector('text=No other users online', WAIT)
  expect(await bob.page.textContent(conversation('alice'))).toContain('Alice Martin')
  expect(await bob.page.textContent(conversation('alice'))).not.toContain('Online')

  for (const session of [alice, bob]) expect(session.pageErrors).toEqual([])
}, 60_000)

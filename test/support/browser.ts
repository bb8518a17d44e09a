/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), one context per user
 * so that each has its own cookies, logged in through the real AdminJS login form.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { CollaborationOptions } from '../../src/index.js'
import { startTestApp, type TestApp, type TestAppExtras } from './app.js'
import { PASSWORD } from './clients.js'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  })
}

export interface UserSession {
  context: BrowserContext
  page: Page
  /** Errors the page threw; a test asserts there were none. */
  pageErrors: string[]
}

export async function loginInBrowser(browser: Browser, adminUrl: string, email: string): Promise<UserSession> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(String(error)))
  // Pages link a Google font; with no network that request may hang, so never wait for 'load'.
  await page.goto(`${adminUrl}/login`, { waitUntil: 'domcontentloaded' })
  await page.fill('input[name=email]', email)
  await page.fill('input[name=password]', PASSWORD)
  await Promise.all([page.waitForURL((url) => !url.pathname.endsWith('/login'), { waitUntil: 'commit' }), page.click('form button')])
  return { context, page, pageErrors }
}

/** Waits until the collaborator wrapper on the page reports the given role. */
export async function waitForRole(page: Page, role: string, timeout = 10_000): Promise<void> {
  await page.waitForSelector(`[data-testid=collaborator-status][data-role="${role}"]`, { timeout })
}

/** Where a screenshot goes: test-results/, and with UPDATE_SCREENSHOTS=1 also the README's copy. */
export function screenshotPaths(name: string): string[] {
  mkdirSync('test-results', { recursive: true })
  const paths = [path.join('test-results', `${name}.png`)]
  if (process.env.UPDATE_SCREENSHOTS === '1') paths.push(path.join('example', 'screenshots', `${name}.png`))
  return paths
}

/** A browser test's world: the fixture admin with its bundled components, and one Chromium. */
export interface BrowserScene {
  app: TestApp
  browser: Browser
  /** A new browser context logged in as that user (each user their own cookies). */
  login(email: string): Promise<UserSession>
  /** The edit page of the n-th seeded post. */
  editUrl(postIndex: number): Promise<string>
  close(): Promise<void>
}

export async function startBrowserScene(collaboration: Partial<CollaborationOptions> = {}, extras: TestAppExtras = {}): Promise<BrowserScene> {
  const app = await startTestApp(collaboration, { bundle: 'build', ...extras })
  const browser = await launchBrowser().catch(async (error: unknown) => {
    await app.close()
    throw error
  })
  return {
    app,
    browser,
    login: (email) => loginInBrowser(browser, app.adminUrl, email),
    editUrl: async (postIndex) => `${app.adminUrl}/resources/Post/records/${(await app.postIds())[postIndex]}/edit`,
    async close() {
      await browser.close()
      await app.close()
    },
  }
}

/**
 * Opens the locks page in `session` (an admin `canViewLocks` lets see the log) and waits until its
 * audit log lists an entry of each kind about `userId`, as the log's own page shows it. Returns
 * each one's text, by kind.
 */
export async function auditOnLocksPage(session: UserSession, adminUrl: string, expected: Array<{ kind: string; userId: string }>): Promise<Record<string, string>> {
  await session.page.goto(`${adminUrl}/pages/locks`, { waitUntil: 'domcontentloaded' })
  await session.page.waitForSelector('[data-testid=collaborator-locks-page][data-can-view-all=true]', { timeout: 15_000 })
  const texts: Record<string, string> = {}
  for (const { kind, userId } of expected) {
    const entry = session.page.locator(`[data-testid=collaborator-audit-entry][data-kind=${kind}][data-user-id=${userId}]`).first()
    await entry.waitFor({ timeout: 10_000 })
    texts[kind] = (await entry.textContent()) ?? ''
  }
  return texts
}

/** Document visibility as the page sees it; headless Chromium keeps every page visible by itself. */
export async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((isHidden) => {
    if (isHidden) {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true })
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' })
    } else {
      // The own properties shadow Document.prototype's getters; removing them restores the real ones.
      delete (document as unknown as Record<string, unknown>).hidden
      delete (document as unknown as Record<string, unknown>).visibilityState
    }
    document.dispatchEvent(new Event('visibilitychange'))
  }, hidden)
}

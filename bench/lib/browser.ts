/**
 * Debian's Chromium through playwright-core (as the browser tests drive it, never a downloaded
 * browser), and what B11 runs inside its pages: a bare Socket.IO connection spoken over a plain
 * WebSocket (the floor of "a closed tab is noticed"), and a watch for the edit form turning
 * editable. Pages stamp times with Date.now(): the same system clock as the bench's Date.now().
 */
import { existsSync } from 'node:fs'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { PASSWORD } from '../../test/support/clients.js'
import { BARE_PATH } from './paths.js'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/** The browser, or why there is none here (the scenario then reports itself not available). */
export async function launchChromium(): Promise<Browser | string> {
  if (!existsSync(CHROMIUM_PATH)) return `no Chromium at ${CHROMIUM_PATH}`
  try {
    const { chromium } = await import('playwright-core')
    return await chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS })
  } catch (error) {
    return `Chromium did not start: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`
  }
}

/** A context of its own (its own cookies) logged in through the admin's login form. */
export async function loginInBrowser(browser: Browser, adminUrl: string, email: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  // Pages link a Google font; with no network that request may hang, so never wait for 'load'.
  await page.goto(`${adminUrl}/login`, { waitUntil: 'domcontentloaded' })
  await page.fill('input[name=email]', email)
  await page.fill('input[name=password]', PASSWORD)
  await Promise.all([page.waitForURL((url) => !url.pathname.endsWith('/login'), { waitUntil: 'commit' }), page.click('form button')])
  return { context, page }
}

export async function waitForRole(page: Page, role: 'editor' | 'viewer', timeout = 15_000): Promise<void> {
  await page.waitForSelector(`[data-testid=collaborator-status][data-role="${role}"]`, { timeout })
}

export async function roleOf(page: Page): Promise<string | null> {
  return page.getAttribute('[data-testid=collaborator-status]', 'data-role')
}

/*
 * What runs in the pages is plain JavaScript in strings: tsx compiles this file with esbuild's
 * keepNames, which wraps inner functions in a `__name` helper that does not exist in the page.
 */

/**
 * Opens a bare Socket.IO connection from the page (Engine.IO 4 over a WebSocket, no client
 * library) and sends `event` with `room`, resolving when the server acknowledges it: `join` to
 * hear `peer-left` in that room (stamped in `window.__benchPeerLeftAt`), `notify-on-disconnect` to
 * have the room told when this page's connection goes.
 */
export async function openBareInPage(page: Page, bareUrl: string, event: 'join' | 'notify-on-disconnect', room: string): Promise<void> {
  const wsUrl = `${bareUrl.replace(/^http/, 'ws')}${BARE_PATH}/?EIO=4&transport=websocket`
  const frame = `421${JSON.stringify([event, room])}` // the event with acknowledgement id 1
  await page.evaluate(`new Promise((resolve, reject) => {
    const ws = new WebSocket(${JSON.stringify(wsUrl)})
    ;(window.__benchSockets ??= []).push(ws) // reachable for the life of the page
    const timer = setTimeout(() => reject(new Error('bare socket: no acknowledgement within 10 s')), 10000)
    ws.onerror = () => reject(new Error('bare socket: WebSocket error'))
    ws.onmessage = ({ data }) => {
      const text = String(data)
      if (text.startsWith('0')) ws.send('40') // Engine.IO open: connect to the main namespace
      else if (text === '2') ws.send('3') // ping: pong
      else if (text.startsWith('40')) ws.send(${JSON.stringify(frame)})
      else if (text.startsWith('431')) { clearTimeout(timer); resolve() }
      else if (text.startsWith('42') && JSON.parse(text.slice(2))[0] === 'peer-left') window.__benchPeerLeftAt ||= Date.now()
    }
  })`)
}

/** From now on the page stamps `window.__benchEditableAt` when its edit form is editable. */
export async function watchEditable(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.__benchEditableAt = 0
    window.__benchPeerLeftAt = 0
    const check = () => {
      if (window.__benchEditableAt) return
      const form = document.querySelector('[data-testid=collaborator-form]')
      const title = form && form.querySelector('input[name=title]')
      if (form && form.getAttribute('data-readonly') === 'false' && title && !title.readOnly && !title.disabled) window.__benchEditableAt = Date.now()
    }
    new MutationObserver(check).observe(document.documentElement, { subtree: true, childList: true, attributes: true })
    check()
  })()`)
}

/** The page's stamps (0: not yet). */
export async function stamps(page: Page): Promise<{ editableAt: number; peerLeftAt: number }> {
  return page.evaluate(`({ editableAt: window.__benchEditableAt || 0, peerLeftAt: window.__benchPeerLeftAt || 0 })`)
}

/**
 * `npx tsx bench/tools/tab-close-timing.ts [--rounds=10] [--load=0] [--name=value ...]`
 *
 * In Debian's Chromium against the fixture admin (in this process), two users on one post: alice
 * edits, bob watches. Per round:
 * - close: alice's tab closes (`page.close({ runBeforeUnload: true })`, as a user closes it); timed
 *   until bob's form is editable, on bob's page clock (a MutationObserver), from the close and from
 *   the server's receipt of alice's `record:unload`;
 * - reload: alice's tab reloads; timed from the server's receipt of `record:unload` until it
 *   receives the reloaded page's first `record:join` (what `reloadGraceMs` must cover), and from
 *   the reload until alice's page shows her as the editor. Counts the reloads that kept the lock
 *   (alice editor, bob viewer). Every other reload runs without the early claim of
 *   components/hooks/reload-claim.ts (its marker is removed before the page's scripts run).
 * `--load=N` runs N busy loops (child processes) meanwhile. Other `--name=value` flags are
 * collaboration options (numbers), e.g. `--reloadGraceMs=800`. Prints p50, p90 and max.
 */
import { fork, type ChildProcess } from 'node:child_process'
import type { Page } from 'playwright-core'
import { users } from '../../test/support/app.js'
import { startBrowserScene, waitForRole, type UserSession } from '../../test/support/browser.js'

const args = process.argv.slice(2)
const flag = (name: string, fallback: number) => Number(args.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
const ROUNDS = flag('rounds', 10)
const LOAD = flag('load', 0)
const options = Object.fromEntries(
  args
    .map((arg) => /^--(\w+)=(\d+)$/.exec(arg))
    .filter((match): match is RegExpExecArray => match !== null && !['rounds', 'load'].includes(match[1]!))
    .map((match) => [match[1]!, Number(match[2])]),
)

const figures = new Map<string, number[]>()
const note = (name: string, ms: number | undefined) => {
  if (ms !== undefined) figures.set(name, [...(figures.get(name) ?? []), ms])
}
const counts = new Map<string, { yes: number; of: number }>()
const count = (name: string, yes: boolean) => {
  const known = counts.get(name) ?? { yes: 0, of: 0 }
  counts.set(name, { yes: known.yes + (yes ? 1 : 0), of: known.of + 1 })
}

const loaders: ChildProcess[] = []
for (let i = 0; i < LOAD; i += 1) loaders.push(fork('-e', ['for(;;){}'], { execArgv: [] }))

const scene = await startBrowserScene(options)

/** When the server received each event (the server runs in this process: one clock). */
const received: Array<{ name: string; atMs: number }> = []
interface EngineConnection {
  on(event: 'packet', listener: (packet: { type: string; data?: unknown }) => void): void
}
const io = (scene.app.collaboration as unknown as { socketServer: { io: { engine: { on(event: 'connection', listener: (conn: EngineConnection) => void): void } } } }).socketServer
  .io
io.engine.on('connection', (conn) => {
  conn.on('packet', (packet) => {
    const name = packet.type === 'message' ? /^2\d*\["([\w:]+)"/.exec(String(packet.data))?.[1] : undefined
    if (name) received.push({ name, atMs: Date.now() })
  })
})
const receivedAfter = (name: string, after: number | undefined) => (after === undefined ? undefined : received.find((event) => event.name === name && event.atMs >= after)?.atMs)

/** Watches bob's page for the moment its form becomes editable (page clock). */
async function watchEditable(page: Page): Promise<void> {
  // A string, not a function: tsx would wrap a named function in a helper the page lacks.
  await page.evaluate(`(() => {
    delete window.editableAt
    new MutationObserver(() => {
      const input = document.querySelector('input[name=title]')
      if (window.editableAt === undefined && input && !input.readOnly && document.querySelector('[data-role=editor]')) window.editableAt = Date.now()
    }).observe(document.body, { subtree: true, attributes: true, childList: true })
  })()`)
}

try {
  const editUrl = await scene.editUrl(0)
  const listUrl = `${scene.app.adminUrl}/resources/Post`
  const alice = await scene.login(users.alice)
  const bob = await scene.login(users.bob)
  const open = async (session: Pick<UserSession, 'page'>, role: string) => {
    await session.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
    await waitForRole(session.page, role, 30_000)
  }
  const roleOf = (page: Page) => page.getAttribute('[data-testid=collaborator-status]', 'data-role')

  for (let round = 0; round < ROUNDS; round += 1) {
    // Close: alice in a fresh tab, bob waiting; alice closes it.
    let page = await alice.context.newPage()
    await open({ page }, 'editor')
    await open(bob, 'viewer')
    await watchEditable(bob.page)
    const closeAt = Date.now()
    await page.close({ runBeforeUnload: true })
    await waitForRole(bob.page, 'editor', 30_000)
    await bob.page.waitForFunction('window.editableAt !== undefined', undefined, { timeout: 30_000 })
    const editableAt = (await bob.page.evaluate('window.editableAt')) as number
    const unloadAt = receivedAfter('record:unload', closeAt)
    note('close -> editable', editableAt - closeAt)
    note('close: unload received -> editable', unloadAt === undefined ? undefined : editableAt - unloadAt)
    count('close: record:unload received', unloadAt !== undefined)
    // Bob leaves (a full navigation: his own unload frees it within the reload window).
    await bob.page.goto(listUrl, { waitUntil: 'domcontentloaded' })

    // Reload: alice edits, bob watches; alice reloads.
    page = await alice.context.newPage()
    const early = round % 2 === 0
    if (!early) await page.addInitScript('sessionStorage.removeItem("adminjs-collaborator:reload-claim")')
    const variant = early ? '' : ' [no early claim]'
    await open({ page }, 'editor')
    await open(bob, 'viewer')
    const reloadAt = Date.now()
    await page.reload({ waitUntil: 'commit' })
    await page.waitForSelector('[data-testid=collaborator-status]:not([data-role=connecting])', { timeout: 30_000 })
    const shownAt = Date.now()
    const reloadUnloadAt = receivedAfter('record:unload', reloadAt)
    const joinAt = receivedAfter('record:join', reloadUnloadAt)
    note(`reload: unload received -> record:join received${variant}`, joinAt === undefined || reloadUnloadAt === undefined ? undefined : joinAt - reloadUnloadAt)
    note(`reload -> role shown${variant}`, shownAt - reloadAt)
    count(`reload: kept the lock${variant}`, (await roleOf(page)) === 'editor' && (await roleOf(bob.page)) === 'viewer')
    await page.close()
    await bob.page.goto(listUrl, { waitUntil: 'domcontentloaded' })
    process.stdout.write('.')
  }
  process.stdout.write('\n')
} finally {
  await scene.close()
  for (const loader of loaders) loader.kill()
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
console.log(`rounds ${ROUNDS}, load ${LOAD}, options ${JSON.stringify(options)}`)
for (const [name, values] of [...figures].sort(([a], [b]) => a.localeCompare(b))) {
  const sorted = [...values].sort((a, b) => a - b)
  console.log(`${name.padEnd(64)} p50 ${quantile(sorted, 0.5)} ms  p90 ${quantile(sorted, 0.9)} ms  max ${sorted.at(-1)} ms  (n=${values.length})`)
}
for (const [name, { yes, of }] of counts) console.log(`${name.padEnd(64)} ${yes}/${of}`)

/**
 * The package as a user gets it: packed, installed from the tarball into a new app outside this
 * repository (with adminjs 7, @adminjs/express, express-session, TypeORM on sql.js from the npm
 * registry), the README's snippet as that app's server, type-checked with the app's own tsc
 * (strict, NodeNext) and run with plain node, under Express 4 and Express 5, in development
 * (`admin.watch()`) and production (`NODE_ENV=production`, `await admin.initialize()`). In each,
 * two people in Chromium: the first edits, the second sees the read-only notice naming the first.
 *
 * One install per Express major (the Express 5 run upgrades the same app), reused for both modes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Browser, ConsoleMessage } from 'playwright-core'
import { defaultTexts } from '../src/texts.js'
import { launchBrowser, loginInBrowser, waitForRole } from './support/browser.js'
import { createConsumerApp, packRepository, run, startConsumer, type ConsumerApp } from './support/consumer-app.js'

const OUR_TEXT_KEYS = Object.keys(defaultTexts)
let packDir: string
let app: ConsumerApp
let browser: Browser

beforeAll(async () => {
  packDir = mkdtempSync(path.join(os.tmpdir(), 'adminjs-collaborator-pack-'))
  const tarball = await packRepository(packDir)
  ;[app, browser] = await Promise.all([createConsumerApp(tarball, 4), launchBrowser()])
}, 300_000)

afterAll(async () => {
  await browser?.close()
  if (process.env.KEEP_CONSUMER_APP === '1') console.log(`consumer app kept in ${app?.dir}`)
  else app?.remove()
  if (packDir) rmSync(packDir, { recursive: true, force: true })
})

interface WalkResult {
  /** i18next `missingKey` lines naming one of this package's texts. */
  ourMissingKeys: string[]
  /** Every i18next `missingKey` line (AdminJS's own lookups included), for the record. */
  allMissingKeys: number
  pageErrors: string[]
}

/** Alice opens the post's edit page and edits; Bob opens it and sees the notice naming her. */
async function lockWalk(adminUrl: string): Promise<WalkResult> {
  const alice = await loginInBrowser(browser, adminUrl, 'alice@example.com')
  const bob = await loginInBrowser(browser, adminUrl, 'bob@example.com')
  const missing: string[] = []
  const listen = (message: ConsoleMessage) => {
    if (message.text().includes('missingKey')) missing.push(message.text())
  }
  alice.page.on('console', listen)
  bob.page.on('console', listen)
  try {
    const editUrl = `${adminUrl}/resources/Post/records/1/edit`
    await alice.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
    await waitForRole(alice.page, 'editor', 60_000)
    await alice.page.fill('input[name=title]', 'Alice is typing')

    await bob.page.goto(editUrl, { waitUntil: 'domcontentloaded' })
    await waitForRole(bob.page, 'viewer', 60_000)
    expect(await bob.page.textContent('[data-testid=collaborator-overlay]')).toContain('This page is being edited by Alice Martin')
    expect(await bob.page.isEditable('input[name=title]')).toBe(false)

    // The show page is the feature's too, and the chat drawer's texts come from the same lookups.
    await bob.page.goto(`${adminUrl}/resources/Post/records/1/show`, { waitUntil: 'domcontentloaded' })
    await bob.page.waitForSelector('[data-testid=collaborator-show]', { timeout: 30_000 })
    return {
      ourMissingKeys: missing.filter((line) => OUR_TEXT_KEYS.some((key) => line.includes(`messages.${key}`))),
      allMissingKeys: missing.length,
      pageErrors: [...alice.pageErrors, ...bob.pageErrors],
    }
  } finally {
    await Promise.all([alice.context.close(), bob.context.close()])
  }
}

/**
 * Express 5's static file sending refuses a path with a dot folder, Express 4's does not: the
 * reason AdminJS's `.adminjs/bundle.js` is a 404 under Express 5 in production (AdminJS issue 1746).
 */
async function statusOfFileUnderDotFolder(app: ConsumerApp): Promise<number> {
  const script = path.join(app.dir, 'dot-folder-check.mjs')
  writeFileSync(
    script,
    `import express from 'express'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
mkdirSync('.dot-folder-check', { recursive: true })
writeFileSync('.dot-folder-check/file.js', '1')
const app = express()
app.get('/file.js', (_req, res) => res.sendFile(path.resolve('.dot-folder-check/file.js')))
const server = app.listen(0, async () => {
  const response = await fetch('http://127.0.0.1:' + server.address().port + '/file.js')
  console.log(response.status)
  server.close()
})
`,
  )
  // Express 5 also logs the refusal (a NotFoundError) to stderr; the status is the line of digits.
  const { output } = await run(process.execPath, [script], { cwd: app.dir })
  return Number(/^(\d{3})$/m.exec(output)?.[1])
}

describe.each([4, 5] as const)('Express %i', (major) => {
  beforeAll(async () => {
    if (major === 5) await app.npmInstall(['express@^5.1.0', '@types/express@^5.0.0'])
    const { output } = await run('npm', ['ls', 'express', '--depth=0', '--json'], { cwd: app.dir })
    expect((JSON.parse(output) as { dependencies: Record<string, { version: string }> }).dependencies.express?.version).toMatch(new RegExp(`^${major}\\.`))
  }, 180_000)

  test('the README snippet type-checks in the app (strict, NodeNext) and the build has no error', async () => {
    await app.compile()
  }, 120_000)

  test(`a file under a dot folder is ${major === 4 ? 'served' : 'refused'} by this Express (why the bundle is moved)`, async () => {
    expect(await statusOfFileUnderDotFolder(app)).toBe(major === 4 ? 200 : 404)
  }, 60_000)

  test.each(['development', 'production'] as const)(
    '%s: the second user sees the notice naming the first',
    async (mode) => {
      const server = await startConsumer(app, mode)
      try {
        if (mode === 'production') {
          const bundle = await fetch(`${server.adminUrl}/frontend/assets/components.bundle.js`)
          expect(bundle.status).toBe(200)
          expect(await bundle.text()).toContain('CollaboratorEdit')
        }
        const walk = await lockWalk(server.adminUrl)
        expect(walk.pageErrors).toEqual([])
        expect(walk.ourMissingKeys).toEqual([])
        console.log(`Express ${major}, ${mode}: ${walk.allMissingKeys} i18next missingKey lines in the walk, ${walk.ourMissingKeys.length} of them this package's`)
      } catch (error) {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- app output ---\n${server.output()}`)
      } finally {
        await server.stop()
      }
    },
    180_000,
  )
})

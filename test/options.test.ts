/**
 * Options are checked once, at startup, with a message that names the offending key; texts can be
 * overridden globally and per feature call; the README documents every option and text.
 */
import { readFileSync } from 'node:fs'
import http from 'node:http'
import AdminJS, { type Before, type ResourceOptions } from 'adminjs'
import session from 'express-session'
import { Collaboration, defaultTexts, CollaboratorConfigError } from '../src/index.js'
import { documentedDefault, optionDocs } from '../src/options.js'
import { COMPONENT_CONFIG_KEY, type ComponentConfig } from '../src/component-config.js'

/** The options a feature gives a resource, as AdminJS would apply them. */
function applyFeature(collaboration: Collaboration, featureOptions?: Parameters<Collaboration['feature']>[0], previous: ResourceOptions = {}) {
  const admin = new AdminJS({})
  return collaboration.feature(featureOptions)(admin, previous)
}

function configOf(options: ResourceOptions): ComponentConfig {
  return (options.actions?.edit?.custom as Record<string, ComponentConfig>)[COMPONENT_CONFIG_KEY]!
}

describe('validation at startup', () => {
  test.each([
    [{ lockTTL: 5 }, /option `lockTTL` is not known/],
    [{ texts: { viewerModeTxt: 'x' } }, /option `texts.viewerModeTxt` is not known/],
    [{ redisConnection: { retries: 3 } }, /option `redisConnection.retries` is not known/],
    [{ lockTtlMs: '30s' }, /option `lockTtlMs`: Expected number, received string/],
    [{ lockTtlMs: -1 }, /option `lockTtlMs`/],
    [{ enableChat: 'yes' }, /option `enableChat`/],
    [{ redis: 'localhost:6379' }, /option `redis`/],
    [{ redis: [] }, /option `redis`.*one at least/],
    [{ redis: ['redis://127.0.0.1:7000', 'localhost:7001'] }, /option `redis.1`: must be a list of redis:\/\/ or rediss:\/\/ URLs/],
    [{ socketPath: 'no-slash' }, /option `socketPath`/],
    [{ texts: { viewerModeText: 42 } }, /option `texts.viewerModeText`/],
    [{ lockTtlMs: 10_000, heartbeatIntervalMs: 6000 }, /heartbeatIntervalMs.*less than half of `lockTtlMs`/],
    [{ chatMaxLength: 5000 }, /`chatMaxLength` \(5000\) needs `maxEventBytes` of at least 21024/],
  ])('%j is refused', (options, message) => {
    expect(() => new Collaboration(options as never)).toThrow(CollaboratorConfigError)
    expect(() => new Collaboration(options as never)).toThrow(message)
  })

  test('no options means the memory store and the defaults', () => {
    const collaboration = new Collaboration()
    expect(collaboration.storeKind).toBe('memory')
    expect(collaboration.options).toMatchObject({
      lockTtlMs: 30_000,
      heartbeatIntervalMs: 10_000,
      reconnectGraceMs: 5000,
      reloadGraceMs: 800,
      blockEditing: true,
      enableChat: true,
      notificationRequestIntervalMs: 15_000,
    })
    expect(collaboration.options.texts).toEqual(defaultTexts)
  })

  test('the reload window is never longer than the reconnect grace', () => {
    expect(new Collaboration({ reloadGraceMs: 3000 }).options.reloadGraceMs).toBe(3000)
    expect(new Collaboration({ reconnectGraceMs: 500 }).options.reloadGraceMs).toBe(500)
    expect(new Collaboration({ reconnectGraceMs: 0, reloadGraceMs: 800 }).options.reloadGraceMs).toBe(0)
    expect(() => new Collaboration({ reloadGraceMs: -1 })).toThrow(/option `reloadGraceMs`/)
  })

  test('a feature call with an unknown key is refused', () => {
    expect(() => new Collaboration().feature({ textz: {} } as never)).toThrow(/option `feature.textz` is not known/)
  })

  test('attach needs the shared session store', async () => {
    const collaboration = new Collaboration()
    const server = http.createServer()
    const admin = new AdminJS({})
    await expect(collaboration.attach(server, { admin, auth: { cookiePassword: 'x'.repeat(32) }, session: {} as never })).rejects.toThrow(/session.store/)
    await expect(collaboration.attach(server, { admin, auth: { cookiePassword: '' }, session: { store: new session.MemoryStore(), secret: 's' } })).rejects.toThrow(
      /cookiePassword/,
    )
    await collaboration.close()
  })
})

describe('texts', () => {
  test('global overrides reach every resource, per-feature overrides only theirs', () => {
    const collaboration = new Collaboration({ texts: { editorModeText: 'You edit.' } })
    const plain = configOf(applyFeature(collaboration))
    const special = configOf(applyFeature(collaboration, { texts: { viewerModeText: '{editorName} has it.' } }))
    expect(plain.texts.editorModeText).toBe('You edit.')
    expect(plain.texts.viewerModeText).toBe(defaultTexts.viewerModeText)
    expect(special.texts.editorModeText).toBe('You edit.')
    // The old `{x}` placeholder is converted once, to i18next's `{{x}}`.
    expect(special.texts.viewerModeText).toBe('{{editorName}} has it.')
  })

  test("the feature keeps the resource's own edit action custom data and hooks", () => {
    const before: Before = async (request) => request
    const options = applyFeature(new Collaboration(), undefined, { actions: { edit: { custom: { mine: 1 }, before } } })
    expect(options.actions?.edit?.custom).toMatchObject({ mine: 1 })
    expect(options.actions?.edit?.before).toEqual(expect.arrayContaining([before]))
    expect((options.actions?.edit?.before as unknown[]).length).toBe(2)
  })

  test('blockEditing false adds no lock pre-check on bulk delete (the write guard stays, for versions)', () => {
    const locking = applyFeature(new Collaboration())
    const options = applyFeature(new Collaboration(), { blockEditing: false })
    expect(locking.actions?.bulkDelete?.before).toHaveLength(2)
    // Only the hook that notes each request's tab token and version for the write guard.
    expect(options.actions?.bulkDelete?.before).toHaveLength(1)
    expect(options.actions?.edit?.before).toHaveLength(1)
    expect(configOf(options).blockEditing).toBe(false)
  })

  test('the write guard switches are checked like every option', () => {
    expect(() => new Collaboration().feature({ requireVersion: 'no' as never })).toThrow(/feature.requireVersion/)
    expect(() => new Collaboration().feature({ unguardedActions: [''] })).toThrow(/feature.unguardedActions/)
    expect(() => new Collaboration().feature({ requireVersion: false, unguardedActions: ['bumpViews'] })).not.toThrow()
  })
})

test('the old notificationRequestInterval (seconds) is still read, the new name in ms wins', () => {
  expect(new Collaboration({ notificationRequestInterval: 2 }).options.notificationRequestIntervalMs).toBe(2000)
  expect(new Collaboration({ notificationRequestInterval: 2, notificationRequestIntervalMs: 500 }).options.notificationRequestIntervalMs).toBe(500)
})

describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

  // The whole row, default included: a default changed in optionDefaults fails here until the
  // README says so too.
  test.each(optionDocs.map((doc) => [doc.name, doc] as const))('documents the option %s with its default', (_name, doc) => {
    expect(readme.split('\n')).toContain(`| \`${doc.name}\` | ${documentedDefault(doc)} | ${doc.meaning} |`)
  })

  test.each(Object.keys(defaultTexts))('documents the text %s', (key) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${key}\` \\|`, 'm'))
  })
})

describe("the change feed's bell in AdminJS's top bar", () => {
  test("the feature puts it in by overriding AdminJS's LoggedIn component, once however many resources use it", () => {
    const admin = new AdminJS({})
    const collaboration = new Collaboration()
    collaboration.feature()(admin, {})
    collaboration.feature({ changeFeed: false })(admin, {})
    expect(admin.componentLoader.getComponents().LoggedIn).toMatch(/components[/\\]CollaboratorLoggedIn$/)
  })

  test('an app that overrides LoggedIn itself keeps its own, and is told how to keep the bell', () => {
    const admin = new AdminJS({})
    const theirs = new URL('../components/PresenceBar.tsx', import.meta.url).pathname
    admin.componentLoader.override('LoggedIn', theirs)
    const warnings: string[] = []
    const collaboration = new Collaboration()
    const original = console.warn
    console.warn = (message: string) => void warnings.push(message)
    try {
      collaboration.feature()(admin, {})
    } finally {
      console.warn = original
    }
    expect(admin.componentLoader.getComponents().LoggedIn).toBe(theirs.replace(/\.tsx$/, ''))
    expect(warnings.some((message) => /overrides AdminJS's LoggedIn component/.test(message) && /CollaboratorLoggedIn\.tsx/.test(message))).toBe(true)
  })
})

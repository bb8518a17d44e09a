/**
 * A real AdminJS app for tests: the fixture admin (test/fixture: Express, @adminjs/express login,
 * TypeORM on sql.js), on a port the OS picks, with collaboration options a test may override.
 */
import { startFixtureApp } from '../fixture/app.js'
import type { FixtureDatabase } from '../fixture/data.js'
import type { CollaborationOptions, FeatureOptions } from '../../src/index.js'
import { login } from './clients.js'
import { randomUUID } from 'node:crypto'

export type TestApp = Awaited<ReturnType<typeof startFixtureApp>>

export interface TestAppExtras {
  redisUrl?: string
  bundle?: 'build' | 'none'
  /** Share logins with another app (as processes behind one load balancer do). */
  session?: {
    store: NonNullable<Parameters<typeof startFixtureApp>[0]>['session'] extends infer S ? (S extends { store?: infer T } ? T : never) : never
    secret: string
    cookieName?: string
  }
  /** Feature options of the Page resource only. */
  pageFeature?: FeatureOptions
  /** Property options of the Page resource (other field types: rich text, dates). */
  pageProperties?: NonNullable<Parameters<typeof startFixtureApp>[0]>['pageProperties']
  /** Feature options of the Post resource only. */
  postFeature?: FeatureOptions
  /** Extra Post actions: `writingTestActions` adds a custom record and bulk action that write. */
  postActions?: NonNullable<Parameters<typeof startFixtureApp>[0]>['postActions']
  /** One database shared by several apps (several processes of one deployment). */
  database?: FixtureDatabase
  /** Collects what the collaboration logs (default: console). */
  logger?: Pick<Console, 'error' | 'warn' | 'info'>
  /** AdminJS's `locale` of the admin (its language and the languages offered). */
  locale?: NonNullable<Parameters<typeof startFixtureApp>[0]>['locale']
}

/**
 * Custom actions that write, for the test app only: `publish` (a record action, as a button posts
 * it, without a payload) and `bulkPublish` (a bulk action), both writing through the record as
 * custom actions usually do.
 */
export const writingTestActions: NonNullable<TestAppExtras['postActions']> = {
  publish: {
    actionType: 'record',
    component: false,
    handler: async (_request, _response, context) => {
      const record = context.record!
      await record.update({ status: 'published' }, context)
      const failed = record.isValid() ? undefined : record.baseError?.message
      return { record: record.toJSON(context.currentAdmin), notice: { message: failed ?? 'published', type: failed ? 'error' : 'success' } }
    },
  },
  bulkPublish: {
    actionType: 'bulk',
    component: false,
    handler: async (request, _response, context) => {
      const records = context.records ?? []
      if (request.method === 'get') return { records: records.map((record) => record.toJSON(context.currentAdmin)) }
      for (const record of records) await record.update({ status: 'published' }, context)
      return { records: records.map((record) => record.toJSON(context.currentAdmin)), notice: { message: 'published', type: 'success' } }
    },
  },
}

export async function startTestApp(collaboration: Partial<CollaborationOptions> = {}, extra: TestAppExtras = {}): Promise<TestApp> {
  const app = await startFixtureApp({
    port: 0,
    host: '127.0.0.1',
    bundle: extra.bundle ?? 'none',
    redisUrl: extra.redisUrl,
    collaboration,
    quiet: true,
    session: extra.session,
    pageFeature: extra.pageFeature,
    pageProperties: extra.pageProperties,
    postFeature: extra.postFeature,
    postActions: extra.postActions,
    database: extra.database,
    logger: extra.logger,
    locale: extra.locale,
  })
  // A test's first event must not race the store's first connection (it would get store_unavailable).
  await app.collaboration.ready().catch(async (error: unknown) => {
    await app.close()
    throw error
  })
  return app
}

/** Collaboration options for a store kind: Redis is the test run's redis-server, under a fresh prefix. */
export function storeOptions(kind: 'memory' | 'redis'): Partial<CollaborationOptions> {
  if (kind === 'memory') return {}
  const url = process.env.TEST_REDIS_URL
  if (!url) throw new Error('TEST_REDIS_URL is not set: run the tests through `npm test`')
  return { redis: url, redisKeyPrefix: `test:${randomUUID()}:` }
}

export const users = {
  alice: 'alice@example.com',
  bob: 'bob@example.com',
  carol: 'carol@example.com',
  dave: 'dave@example.com',
} as const

export async function loginAll(app: TestApp): Promise<Record<keyof typeof users, string>> {
  const entries = await Promise.all(Object.entries(users).map(async ([name, email]) => [name, await login(app.url, email)] as const))
  return Object.fromEntries(entries) as Record<keyof typeof users, string>
}

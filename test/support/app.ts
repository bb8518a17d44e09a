/**
 * A real AdminJS app for tests: the example admin (Express, @adminjs/express login, TypeORM on
 * sql.js), on a port the OS picks, with collaboration options a test may override.
 */
import { startExampleApp } from '../../example/app.js'
import type { CollaborationOptions, FeatureOptions } from '../../src/index.js'
import { login } from './clients.js'
import { randomUUID } from 'node:crypto'

export type TestApp = Awaited<ReturnType<typeof startExampleApp>>

export interface TestAppExtras {
  redisUrl?: string
  bundle?: 'build' | 'none'
  /** Share logins with another app (as processes behind one load balancer do). */
  session?: { store: NonNullable<Parameters<typeof startExampleApp>[0]>['session'] extends infer S ? S extends { store?: infer T } ? T : never : never; secret: string; cookieName?: string }
  /** Feature options of the Page resource only. */
  pageFeature?: FeatureOptions
}

export async function startTestApp(collaboration: Partial<CollaborationOptions> = {}, extra: TestAppExtras = {}): Promise<TestApp> {
  const app = await startExampleApp({ port: 0, host: '127.0.0.1', bundle: extra.bundle ?? 'none', redisUrl: extra.redisUrl, collaboration, quiet: true, session: extra.session, pageFeature: extra.pageFeature })
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

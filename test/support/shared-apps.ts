/**
 * Several fixture apps in this one process acting as processes of one deployment: one Redis (same
 * key prefix), one login session store and secret, and ONE database (a single sql.js DataSource),
 * as several servers behind a load balancer share one database. Real child processes cannot share
 * the fixture's in-memory sql.js database, and what these tests count (lost updates) needs one
 * database every "process" writes and an observer reads.
 */
import { randomBytes } from 'node:crypto'
import session from 'express-session'
import { createFixtureDatabase, fixtureQueries, type FixtureDatabase } from '../fixture/data.js'
import type { CollaborationOptions } from '../../src/index.js'
import { startTestApp, type TestApp, type TestAppExtras } from './app.js'

export interface SharedApps {
  apps: TestApp[]
  database: FixtureDatabase
  queries: ReturnType<typeof fixtureQueries>
  /** Starts one more app on the same database, login and (given) Redis, with its own options. */
  add(collaboration: Partial<CollaborationOptions>, extra?: TestAppExtras): Promise<TestApp>
  close(): Promise<void>
}

export async function startSharedApps(count: number, collaboration: Partial<CollaborationOptions>, extra: TestAppExtras = {}): Promise<SharedApps> {
  const database = await createFixtureDatabase()
  const sessionOptions = { store: new session.MemoryStore(), secret: randomBytes(32).toString('hex') }
  const apps: TestApp[] = []
  const close = async () => {
    await Promise.all(apps.map((app) => app.close()))
    await database.dataSource.destroy()
  }
  const add = async (options: Partial<CollaborationOptions>, more: TestAppExtras = extra) => {
    const app = await startTestApp(options, { ...more, database, session: sessionOptions })
    apps.push(app)
    return app
  }
  try {
    for (let i = 0; i < count; i++) await add(collaboration)
  } catch (error) {
    await close()
    throw error
  }
  return { apps, database, queries: fixtureQueries(database), add, close }
}

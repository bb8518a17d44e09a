/**
 * The diagnostic tools' setup: a throwaway redis-server and the fixture admin in this very process
 * (its clients in it too, so every step can be timed on one clock), with `collaboration` over the
 * bench's per-socket limits. `close()` ends both.
 */
import type { CollaborationOptions } from '../../src/index.js'
import { startFixtureApp, type FixtureApp } from '../../test/fixture/app.js'
import { startRedisServer } from '../../test/support/redis-server.mjs'

export async function startInProcess(collaboration: Partial<CollaborationOptions>): Promise<{ app: FixtureApp; close(): Promise<void> }> {
  const redis = await startRedisServer()
  const app = await startFixtureApp({
    port: 0,
    host: '127.0.0.1',
    bundle: 'none',
    quiet: true,
    redisUrl: redis.url,
    collaboration: { eventsPerSecond: 1_000_000, chatMessagesPerMinute: 1_000_000, maxSocketsPerUser: 1_000_000, ...collaboration },
  })
  return {
    app,
    async close() {
      await app.close()
      await redis.stop()
    },
  }
}

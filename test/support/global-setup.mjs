/** One redis-server for the whole test run, unless REDIS_URL names one to use instead. */
import { startRedisServer } from './redis-server.mjs'

export default async function globalSetup() {
  if (process.env.REDIS_URL) {
    process.env.TEST_REDIS_URL = process.env.REDIS_URL
    return
  }
  const server = await startRedisServer()
  globalThis.__testRedisServer = server
  process.env.TEST_REDIS_URL = server.url
}

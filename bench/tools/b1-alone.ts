/**
 * `npx tsx bench/tools/b1-alone.ts [--rounds=1]`: B1's claim-alone scenario only (not the load
 * part), as the bench runs it (its own redis-server, the collaboration and bare servers in child
 * processes), `--rounds` times in a row, each round's table printed. For before/after comparisons
 * of the claim path, where the whole of `--only=B1` would take twice as long.
 */
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startRedisServer } from '../../test/support/redis-server.mjs'
import type { Bench } from '../lib/bench.js'
import { Child } from '../lib/child.js'
import { RedisProbe } from '../lib/redis.js'
import { formatTable } from '../lib/report.js'
import { b1ClaimAlone } from '../scenarios/b1-claim-alone.js'

const rounds = Number(process.argv.find((arg) => arg.startsWith('--rounds='))?.slice(9) ?? 1)
const resultsDir = fileURLToPath(new URL('../results/', import.meta.url))
mkdirSync(resultsDir, { recursive: true })
const overrides = { eventsPerSecond: 1_000_000, chatMessagesPerMinute: 1_000_000, maxSocketsPerUser: 1_000_000, pingIntervalMs: 25_000, pingTimeoutMs: 20_000 }

const redisServer = await startRedisServer()
const children = await Promise.all([
  Child.start('collab-A', new URL('../server.ts', import.meta.url), `${resultsDir}server-A.log`),
  Child.start('bare', new URL('../bare-server.ts', import.meta.url), `${resultsDir}bare.log`),
])
const [collab, bare] = children
try {
  const { url: bareUrl } = await bare.request<{ url: string }>('start', {
    pingIntervalMs: overrides.pingIntervalMs,
    pingTimeoutMs: overrides.pingTimeoutMs,
    redisUrl: redisServer.url,
  })
  for (let round = 1; round <= rounds; round++) {
    const bench: Bench = {
      quick: false,
      runId: `b1alone${Date.now()}`,
      redisUrl: redisServer.url,
      redis: new RedisProbe(redisServer.url),
      collab,
      peer: collab, // B1 alone uses one process
      bare,
      bareUrl,
      overrides,
      rows: [],
      details: {},
    }
    await b1ClaimAlone(bench)
    console.log(`round ${round}\n${formatTable(bench.rows)}\n`)
    bench.redis.client.disconnect()
  }
} finally {
  await Promise.all(children.map((child) => child.stop()))
  await redisServer.stop()
}

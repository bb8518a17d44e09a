/**
 * `npm run bench [-- --quick] [-- --only=B1,B7]`: the collaboration server under load, each figure
 * beside its floor (a bare Socket.IO server, or an event our server has no handler for) measured in
 * the same run on the same machine.
 *
 * Starts its own redis-server on a free port, the collaboration server (the test fixture admin) in a
 * child process (a second one for B6 and B12) and the bare server in another, and runs every client here
 * (and, for B11, a headless Chromium). Prints a table, then the rows of the performance table
 * (issue 12) again in its order, and writes bench/results/latest.json (plus each child's log).
 * `--quick` runs every scenario at a small scale to prove the harness works: it never fails on a
 * target, only when a scenario itself breaks. Loopback only.
 */
import os from 'node:os'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startRedisServer, type RedisServer } from '../test/support/redis-server.mjs'
import type { CollaborationOptions } from '../src/index.js'
import { addRow, progress, type Bench } from './lib/bench.js'
import { Child } from './lib/child.js'
import { RedisProbe } from './lib/redis.js'
import { formatSummary, formatTable } from './lib/report.js'
import { round } from './lib/stats.js'
import { b1ClaimAlone } from './scenarios/b1-claim-alone.js'
import { b1Load } from './scenarios/b1-claim-load.js'
import { CHAT_HANDLERS, fanout } from './scenarios/b2-b5-fanout.js'
import { b3 } from './scenarios/b3-join-fanout.js'
import { b4 } from './scenarios/b4-open-together.js'
import { b6 } from './scenarios/b6-cross.js'
import { b7 } from './scenarios/b7-heap.js'
import { b8 } from './scenarios/b8-redis.js'
import { b8GrantPath } from './scenarios/b8-grant-path.js'
import { b9, openFilesLimit } from './scenarios/b9-stampede.js'
import { b10 } from './scenarios/b10-departure.js'
import { b11 } from './scenarios/b11-tab-close.js'
import { b12 } from './scenarios/b12-change-feed.js'
import { b13 } from './scenarios/b13-scale-out.js'
import { b14 } from './scenarios/b14-cluster.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const only = args
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .toUpperCase()
  .split(',')
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(resultsDir, { recursive: true })

/**
 * What the bench changes in the collaboration server's defaults, and why: one process of clients
 * stands in for thousands of browsers, so per-socket limits meant for one browser tab would only
 * measure the bench. Printed with the results.
 */
const overrides: Partial<CollaborationOptions> = {
  eventsPerSecond: 1_000_000, // default 20 per socket: B1's claimers send 15/s each, B8 bursts
  chatMessagesPerMinute: 1_000_000, // default 30 per user: B5 sends far more as one user
  maxSocketsPerUser: 1_000_000, // default 30 per user and process: the bench's thousands of tabs are four users
  pingIntervalMs: 25_000, // defaults 10 s / 5 s: a client process busy with 10,000 sockets may answer
  pingTimeoutMs: 20_000, //   pings late; Socket.IO's own defaults (25 s / 20 s) avoid false drops
}

const scenarios: Array<{ id: string[]; title: string; run: (bench: Bench) => Promise<void> }> = [
  { id: ['B11'], title: 'B11 tab close in Chromium', run: b11 },
  { id: ['B1'], title: 'B1 claim round trip alone', run: b1ClaimAlone },
  { id: ['B1'], title: 'B1 claims under load', run: b1Load },
  { id: ['B2', 'B5'], title: 'B2 lock-state propagation, B5 chat fan-out', run: fanout },
  { id: ['B3'], title: 'B3 join seen by the viewers', run: b3 },
  { id: ['B4'], title: 'B4 tabs opening one record at once', run: b4 },
  { id: ['B6'], title: 'B6 propagation across 2 processes', run: b6 },
  { id: ['B12'], title: 'B12 change feed to admins on 2 processes', run: b12 },
  { id: ['B7'], title: 'B7 heap per idle socket', run: b7 },
  { id: ['B8'], title: 'B8 Redis commands', run: b8 },
  { id: ['B8'], title: "B8 Redis round trips on a grant's path", run: b8GrantPath },
  { id: ['B9'], title: 'B9 stampede', run: b9 },
  { id: ['B10'], title: 'B10 mass departure', run: b10 },
  { id: ['B13'], title: 'B13 scale out: socket processes of their own under load', run: b13 },
  { id: ['B14'], title: 'B14 claim and chat on a Redis Cluster against one Redis', run: b14 },
]

function commandVersion(command: string, versionArgs: string[]): string {
  try {
    return execFileSync(command, versionArgs, { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

async function main(): Promise<number> {
  const startedAt = new Date()
  // --quick proves the harness runs; on a loaded machine it has taken 2 minutes, so its limit leaves room.
  const deadlineMs = quick ? 300_000 : 15 * 60_000
  const runId = startedAt
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)
  let redisServer: RedisServer | undefined
  let redis: RedisProbe | undefined
  const children: Child[] = []
  let failed = false
  const watchdog = setTimeout(() => {
    console.error(`bench: over the ${deadlineMs / 1000} s limit, stopping`)
    for (const child of children) child.kill()
    void redisServer?.stop()
    process.exit(2)
  }, deadlineMs)
  watchdog.unref()

  try {
    progress(`starting redis-server and the servers under test (${quick ? 'quick' : 'full'} run)`)
    redisServer = await startRedisServer()
    redis = new RedisProbe(redisServer.url)
    const [collab, peer, bare] = await Promise.all([
      Child.start('collab-A', new URL('./server.ts', import.meta.url), `${resultsDir}server-A.log`),
      Child.start('collab-B', new URL('./server.ts', import.meta.url), `${resultsDir}server-B.log`),
      Child.start('bare', new URL('./bare-server.ts', import.meta.url), `${resultsDir}bare.log`),
    ])
    children.push(collab, peer, bare)
    const { url: bareUrl } = await bare.request<{ url: string }>('start', {
      pingIntervalMs: overrides.pingIntervalMs,
      pingTimeoutMs: overrides.pingTimeoutMs,
      redisUrl: redisServer.url,
    })

    const cpus = os.cpus()
    const machine = {
      cpu: `${cpus[0]?.model ?? 'unknown'} x ${cpus.length}`,
      memory: `${round(os.totalmem() / 2 ** 30, 1)} GiB`,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      redis: await redis.version(),
      openFilesLimit: openFilesLimit(),
      socketIo: commandVersion(process.execPath, ['-p', "require('socket.io/package.json').version"]),
    }
    const bench: Bench = { quick, runId, redisUrl: redisServer.url, redis, collab, peer, bare, bareUrl, overrides, rows: [], details: {} }
    const header = [
      `adminjs-collaborator bench (${quick ? 'quick: small scale, targets not asserted' : 'full'}), ${startedAt.toISOString()}`,
      `machine: ${machine.cpu}, ${machine.memory}, ${machine.os}; node ${machine.node}; redis-server ${machine.redis}; socket.io ${machine.socketIo}; ulimit -n ${machine.openFilesLimit}`,
      `processes: clients here (pid ${process.pid}); collaboration server A (pid ${collab.pid}) and B (pid ${peer.pid}); bare Socket.IO (pid ${bare.pid}); redis-server (pid ${redisServer.process.pid}); loopback, transport websocket`,
      `collaboration overrides: ${JSON.stringify(overrides)}; per scenario: B8 heartbeatIntervalMs 60000/250 (lockTtlMs 300000 while counting operations and on the grant's path, where Redis is behind a delaying proxy), B10 reconnectGraceMs 1000; store Redis unless said`,
      'floor: the same measurement of the least any server could do (a bare Socket.IO server, an event ours has no handler for), in this run; ratio = value / floor',
    ]
    process.stdout.write(`${header.join('\n')}\n\n`)
    bench.details.header = header

    for (const scenario of scenarios) {
      if (only && !scenario.id.some((id) => only.includes(id))) continue
      const started = performance.now()
      progress(`${scenario.title}…`)
      try {
        await scenario.run(bench)
      } catch (error) {
        failed = true
        const message = error instanceof Error ? error.message : String(error)
        progress(`${scenario.title} FAILED: ${error instanceof Error ? error.stack : message}`)
        addRow(bench, {
          id: scenario.id[0]!,
          name: scenario.title.replace(/^B\d+ /, ''),
          metric: 'scenario',
          value: null,
          unit: '',
          floor: null,
          target: '',
          met: false,
          note: `harness error: ${message.split('\n')[0]}`,
        })
        await Promise.all([collab.request('stop').catch(() => undefined), peer.request('stop').catch(() => undefined)])
      }
      bench.details[`seconds:${scenario.title}`] = round((performance.now() - started) / 1000, 1)
    }

    const chatNow = existsSync(CHAT_HANDLERS)
    const summary = formatSummary(bench.rows)
    const table = `${formatTable(bench.rows)}${summary ? `\n\n${summary}` : ''}`
    const unmet = bench.rows.filter((row) => row.met === false)
    const elapsed = round((Date.now() - startedAt.getTime()) / 1000, 1)
    const footer = [
      '',
      `server log lines: A ${collab.logLines}, B ${peer.logLines}, bare ${bare.logLines} (bench/results/server-A.log, server-B.log, bare.log); unhandled errors: A ${collab.uncaught}, B ${peer.uncaught}, bare ${bare.uncaught}`,
      `chat handlers present at the end of the run: ${chatNow ? 'yes' : 'no'}`,
      quick ? 'quick run: targets are shown, not asserted.' : `targets not met: ${unmet.length ? unmet.map((row) => `${row.id} ${row.metric}`).join('; ') : 'none'}`,
      `total ${elapsed} s`,
    ]
    const text = `${table}\n${footer.join('\n')}\n`
    process.stdout.write(text)
    const json = {
      startedAt: startedAt.toISOString(),
      mode: quick ? 'quick' : 'full',
      machine,
      overrides,
      rows: bench.rows,
      details: bench.details,
      seconds: elapsed,
      harnessFailed: failed,
    }
    // latest.json: the last run of any kind; quick.json / full.json: the last complete run of each
    // kind; partial.json: the last run of some scenarios (--only).
    const kind = only ? 'partial.json' : quick ? 'quick.json' : 'full.json'
    for (const file of ['latest.json', kind]) writeFileSync(`${resultsDir}${file}`, `${JSON.stringify({ ...json, only: only ?? null }, null, 2)}\n`)
    for (const file of ['latest.txt', kind.replace('.json', '.txt')]) writeFileSync(`${resultsDir}${file}`, `${header.join('\n')}\n\n${text}`)
    return failed ? 1 : 0
  } finally {
    clearTimeout(watchdog)
    await Promise.all(children.map((child) => child.stop().catch(() => child.kill())))
    redis?.close()
    await redisServer?.stop()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('bench failed:', error)
    process.exit(1)
  },
)

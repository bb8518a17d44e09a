/** What every scenario gets: the servers under test, the bench's Redis, and the result rows. */
import type { CollaborationOptions } from '../../src/index.js'
import type { Started, StartArgs } from '../server.js'
import type { Child, LoadSample } from './child.js'
import { loginAll, type Cookies } from './clients.js'
import type { RedisProbe } from './redis.js'
import { ratioOf, type Headline, type Row } from './report.js'
import { round } from './stats.js'

export interface CollabApp extends Started {
  cookies: Cookies
  prefix: string
}

export interface Bench {
  quick: boolean
  runId: string
  redisUrl: string
  redis: RedisProbe
  /** Server process A: every scenario's collaboration server. */
  collab: Child
  /** Server process B: the second process of B6 and B12. */
  peer: Child
  /** The bare Socket.IO server. */
  bare: Child
  bareUrl: string
  /** Options every collaboration server of the bench gets on top of the defaults. */
  overrides: Partial<CollaborationOptions>
  rows: Row[]
  details: Record<string, unknown>
}

export interface StartOptions {
  /** Posts beyond the fixture's three. */
  posts: number
  /** Extra collaboration options for this scenario. */
  extra?: Partial<CollaborationOptions>
  /** @default 'redis' */
  store?: 'redis' | 'memory'
  /** Redis key prefix; two processes of one scenario pass the same. @default a new one */
  prefix?: string
  /**
   * Where the server's Redis connections go (a proxy in front of the bench's Redis; a list: the
   * nodes of a Redis Cluster). @default the bench's Redis
   */
  redisUrl?: string | string[]
  /** Serve the admin's component bundle (a browser loads pages). @default false */
  bundle?: boolean
}

let prefixes = 0

/** (Re)starts the collaboration app in `child` and logs the four users in to it. */
export async function startCollab(bench: Bench, child: Child, options: StartOptions): Promise<CollabApp> {
  const prefix = options.prefix ?? `bench:${bench.runId}:${++prefixes}:`
  const store = options.store ?? 'redis'
  const collaboration: Partial<CollaborationOptions> = { ...bench.overrides, ...options.extra, ...(store === 'redis' ? { redisKeyPrefix: prefix } : {}) }
  const args: StartArgs = {
    redisUrl: store === 'redis' ? (options.redisUrl ?? bench.redisUrl) : undefined,
    collaboration,
    extraPosts: options.posts,
    bundle: options.bundle ?? false,
  }
  const started = await child.request<Started>('start', args)
  for (const name of started.droppedOptions) {
    const dropped = (bench.details.droppedOptions ??= []) as string[]
    if (!dropped.includes(name)) dropped.push(name)
  }
  return { ...started, cookies: await loginAll(started.url), prefix }
}

export function addRow(bench: Bench, row: Omit<Row, 'ratio'> & { ratio?: number | null }): void {
  bench.rows.push({ ...row, ratio: row.ratio !== undefined ? row.ratio : ratioOf(row.value, row.floor) })
}

export function notAvailable(bench: Bench, id: string, name: string, metric: string, target: string, why: string, headline?: Headline): void {
  addRow(bench, { id, name, metric, value: null, unit: '', floor: null, target, met: null, note: `not available: ${why}`, ...(headline ? { headline } : {}) })
}

export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`)
}

export interface Load {
  serverCpuPercent: number
  clientCpuPercent: number
  redisCpuPercent: number
  serverLoopDelay: { p50: number; p99: number; max: number }
}

export function describeLoad(load: Load): string {
  return `CPU (% of one core) server ${load.serverCpuPercent}, clients ${load.clientCpuPercent}, redis ${load.redisCpuPercent}; server event-loop delay p99 ${load.serverLoopDelay.p99} ms, max ${load.serverLoopDelay.max} ms`
}

/** CPU use of the server, of this (client) process and of redis-server over a measured window. */
export async function measureLoad(bench: Bench, child: Child): Promise<() => Promise<Load>> {
  const redisCpu = async () => {
    const cpu = await bench.redis.info('cpu')
    return (Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys)) * 1000
  }
  await child.request<LoadSample>('load', { reset: true })
  const t0 = performance.now()
  const server0 = (await child.request<LoadSample>('load')).cpuMs
  const own0 = process.cpuUsage()
  const redis0 = await redisCpu()
  return async () => {
    const elapsed = performance.now() - t0
    const end = await child.request<LoadSample>('load')
    const own = process.cpuUsage(own0)
    const percent = (ms: number) => round((100 * ms) / elapsed, 0)
    return {
      serverCpuPercent: percent(end.cpuMs - server0),
      clientCpuPercent: percent((own.user + own.system) / 1000),
      redisCpuPercent: percent((await redisCpu()) - redis0),
      serverLoopDelay: { p50: round(end.loopDelay.p50), p99: round(end.loopDelay.p99), max: round(end.loopDelay.max) },
    }
  }
}

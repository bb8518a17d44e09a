/**
 * What presence costs on the wire (issue 12): `tsx bench/tools/presence-fanout.ts [--quick]
 * [--rounds=5] [--only=burst|join] [--checkout=/path/to/other/checkout ...]`. Each checkout's `bench/server.ts` runs as its own
 * server process (this one's by default; give another checkout, e.g. main, to compare in one run,
 * rounds interleaved) on one throwaway Redis; the clients are here and count every `presence:*`
 * frame they receive, whatever its protocol.
 *
 * - burst: 50 tabs (three users), connected first, join one fresh record with intent edit at the
 *   same instant. Reported: ms until each tab's join reply (it then knows the editor), and the
 *   presence frames and bytes all 50 received until things settle.
 * - one join: 100 viewers on a record; one more tab joins (and leaves again between rounds).
 *   Reported: ms until each viewer receives a presence frame, and presence bytes per join over all
 *   viewers.
 */
import { fileURLToPath, pathToFileURL } from 'node:url'
import { mkdirSync, readFileSync } from 'node:fs'
import { io as connect, type Socket } from 'socket.io-client'
import { startRedisServer } from '../../test/support/redis-server.mjs'
import { Child } from '../lib/child.js'
import { anyCookie, ask, closeAll, connectMany, editorCookie, joinPost, loginAll, ref, type Cookies } from '../lib/clients.js'
import { COLLAB_PATH } from '../lib/paths.js'
import { round, sleep, summarize } from '../lib/stats.js'
import type { Started, StartArgs } from '../server.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const checkouts = [fileURLToPath(new URL('../../', import.meta.url)), ...args.filter((a) => a.startsWith('--checkout=')).map((a) => a.slice('--checkout='.length))]
const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? (quick ? 2 : 5))
/** `--only=burst` or `--only=join`: the other part is skipped (e.g. for a CPU profile of one). */
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length)
const skip = new Set(only ? ['burst', 'join'].filter((part) => part !== only) : [])
const BURST = 50
const VIEWERS = quick ? 20 : 100
const JOINS = quick ? 5 : 30

/** Presence frames and bytes a socket received (engine packets whose event starts `presence:`). */
class FrameCount {
  frames = 0
  bytes = 0
  private readonly listeners = new Map<Socket, (packet: { type: string; data?: unknown }) => void>()

  watch(socket: Socket, onPresence?: () => void): void {
    const listener = (packet: { type: string; data?: unknown }) => {
      if (packet.type !== 'message' || typeof packet.data !== 'string' || !packet.data.startsWith('2["presence:')) return
      this.frames += 1
      this.bytes += Buffer.byteLength(packet.data)
      onPresence?.()
    }
    this.listeners.set(socket, listener)
    ;(socket.io.engine as unknown as { on(event: string, fn: typeof listener): void }).on('packet', listener)
  }

  dispose(): void {
    for (const [socket, listener] of this.listeners) (socket.io.engine as unknown as { off(event: string, fn: typeof listener): void }).off('packet', listener)
  }
}

/** A tab of the server's own protocol version (read from its checkout), so older servers can be measured too. */
function connectCollab(server: Server, cookie: string): Promise<Socket> {
  const socket = connect(server.url, { path: COLLAB_PATH, transports: ['websocket'], extraHeaders: { cookie }, auth: { v: server.version }, reconnection: false, forceNew: true })
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket))
    socket.once('connect_error', (error) => reject(error))
  })
}

interface Server {
  name: string
  version: number
  child: Child
  url: string
  postIds: string[]
  cookies: Cookies
  next: number
}

async function burst(server: Server): Promise<{ knownMs: number[]; frames: number; bytes: number }> {
  const recordId = server.postIds[server.next++]!
  const tabs = await connectMany(
    BURST,
    25,
    (i) => connectCollab(server, editorCookie(server.cookies, i)),
    async () => undefined,
  )
  const count = new FrameCount()
  for (const tab of tabs) count.watch(tab)
  const t0 = performance.now()
  const knownMs = await Promise.all(tabs.map(async (tab) => (await joinPost(tab, recordId, 'edit'), performance.now() - t0)))
  await sleep(500)
  count.dispose()
  closeAll(tabs)
  return { knownMs, frames: count.frames, bytes: count.bytes }
}

async function oneJoin(server: Server): Promise<{ seenMs: number[]; bytesPerJoin: number; framesPerJoin: number }> {
  const recordId = server.postIds[server.next++]!
  const viewers = await connectMany(
    VIEWERS,
    25,
    (i) => connectCollab(server, anyCookie(server.cookies, i)),
    (socket) => joinPost(socket, recordId, 'show').then(() => undefined),
  )
  const joiner = await connectCollab(server, server.cookies.alice)
  await sleep(500)
  const seenMs: number[] = []
  let armed: { t0: number; seen: Set<Socket> } | undefined
  const count = new FrameCount()
  for (const viewer of viewers)
    count.watch(viewer, () => {
      if (!armed || armed.seen.has(viewer)) return
      armed.seen.add(viewer)
      seenMs.push(performance.now() - armed.t0)
    })
  let bytes = 0
  let frames = 0
  for (let j = 0; j < JOINS; j++) {
    const before = { bytes: count.bytes, frames: count.frames }
    armed = { t0: performance.now(), seen: new Set() }
    await joinPost(joiner, recordId, 'show')
    for (let waited = 0; armed.seen.size < viewers.length && waited < 5_000; waited += 5) await sleep(5)
    await sleep(30)
    bytes += count.bytes - before.bytes
    frames += count.frames - before.frames
    armed = undefined
    await ask(joiner, 'record:leave', ref(recordId))
    await sleep(50)
  }
  count.dispose()
  closeAll([...viewers, joiner])
  return { seenMs, bytesPerJoin: bytes / JOINS, framesPerJoin: frames / JOINS }
}

async function main(): Promise<void> {
  const redis = await startRedisServer()
  const logDir = fileURLToPath(new URL('../results/', import.meta.url))
  mkdirSync(logDir, { recursive: true })
  const servers: Server[] = []
  try {
    for (const [i, checkout] of checkouts.entries()) {
      // Forked from inside the checkout, so that tsx compiles it with that checkout's tsconfig.
      const here = process.cwd()
      process.chdir(checkout)
      const child = await Child.start(`presence-${i}`, pathToFileURL(`${checkout.replace(/\/?$/, '/')}bench/server.ts`), `${logDir}presence-server-${i}.log`).finally(() =>
        process.chdir(here),
      )
      const startArgs: StartArgs = {
        redisUrl: redis.url,
        collaboration: { redisKeyPrefix: `presence-bench:${i}:`, eventsPerSecond: 1_000_000, maxSocketsPerUser: 1_000_000, pingIntervalMs: 25_000, pingTimeoutMs: 20_000 },
        extraPosts: 2 * rounds + 2,
      }
      const started = await child.request<Started>('start', startArgs)
      const version = Number(/PROTOCOL_VERSION = (\d+)/.exec(readFileSync(`${checkout.replace(/\/?$/, '/')}src/protocol.ts`, 'utf8'))?.[1])
      servers.push({ name: checkout, version, child, url: started.url, postIds: started.postIds, cookies: await loginAll(started.url), next: 0 })
    }
    const results = new Map(
      servers.map((s) => [
        s,
        { known: [] as number[], frames: [] as number[], bytes: [] as number[], seen: [] as number[], joinBytes: [] as number[], joinFrames: [] as number[] },
      ]),
    )
    for (let r = 0; r < rounds; r++) {
      for (const server of servers) {
        const result = results.get(server)!
        const b = skip.has('burst') ? { knownMs: [], frames: 0, bytes: 0 } : await burst(server)
        result.known.push(...b.knownMs)
        result.frames.push(b.frames)
        result.bytes.push(b.bytes)
        const j = skip.has('join') ? { seenMs: [], bytesPerJoin: 0, framesPerJoin: 0 } : await oneJoin(server)
        result.seen.push(...j.seenMs)
        result.joinBytes.push(j.bytesPerJoin)
        result.joinFrames.push(j.framesPerJoin)
        process.stderr.write(`round ${r + 1}/${rounds} ${server.name}: burst ${b.frames} frames ${round(b.bytes / 1e6, 2)} MB; join ${round(j.bytesPerJoin / 1e3, 1)} kB\n`)
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
    for (const [server, result] of results) {
      const known = summarize(result.known)
      const seen = summarize(result.seen)
      console.log(`${server.name}
  burst of ${BURST} joins (edit) on one record: join reply p50 ${round(known.p50)} ms, p99 ${round(known.p99)} ms; presence frames received by the ${BURST} ${round(mean(result.frames), 0)}, bytes ${round(mean(result.bytes) / 1e6, 2)} MB (mean of ${rounds})
  one join seen by ${VIEWERS} viewers: first presence frame p50 ${round(seen.p50)} ms, p99 ${round(seen.p99)} ms; per join ${round(mean(result.joinFrames), 0)} frames, ${round(mean(result.joinBytes) / 1e3, 1)} kB over all viewers`)
    }
  } finally {
    for (const server of servers) await server.child.stop()
    await redis.stop()
  }
}

await main()

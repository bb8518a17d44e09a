/**
 * `npx tsx bench/tools/claim-profile.ts [--claims=20000] [--out=dir] [--idle=0] [--chat=1 --viewers=100]`
 *
 * Where a claim's time goes: forks the bench's collaboration server (bench/server.ts), joins one
 * post's edit page as alice, warms up, then profiles the server (V8's CPU profiler, started and
 * stopped over the bench's IPC: start-up is not in the profile) while it answers `--claims`
 * back-to-back renewals (`lock:claim` by the holder, as B1 does), then `--idle` more each after
 * 100 ms of quiet. Writes `claims.cpuprofile` to `--out` (default bench/results/profile) and prints
 * the claim's p50 and the profile's top functions by self time (`bench/tools/profile-top.ts`).
 */
import { mkdirSync } from 'node:fs'
import { startRedisServer } from '../../test/support/redis-server.mjs'
import { Child } from '../lib/child.js'
import { ask, connectCollab, Fanout, joinPost, loginAll, ref } from '../lib/clients.js'
import type { Started, StartArgs } from '../server.js'
import { sleep, summarize } from '../lib/stats.js'
import { printTop } from './profile-top.js'

const args = process.argv.slice(2)
const flag = (name: string, fallback: string) => args.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback
const CLAIMS = Number(flag('claims', '20000'))
const IDLE = Number(flag('idle', '0'))
/** `--profile=0`: the same claims, timed, without the profiler (its sampling slows the server). */
const PROFILE = flag('profile', '1') !== '0'
/** `--chat=1 --viewers=100`: profile chat:send to the viewers on the record instead (B5). */
const CHAT = flag('chat', '0') !== '0'
const VIEWERS = Number(flag('viewers', '0'))
const out = flag('out', new URL('../results/profile', import.meta.url).pathname)
mkdirSync(out, { recursive: true })

const redis = await startRedisServer()
const path = `${out}/claims.cpuprofile`
const child = await Child.start('collab-profile', new URL('../server.ts', import.meta.url), `${out}/server.log`)
try {
  const collaboration = {
    eventsPerSecond: 1_000_000,
    chatMessagesPerMinute: 1_000_000,
    maxSocketsPerUser: 1_000_000,
    pingIntervalMs: 25_000,
    pingTimeoutMs: 20_000,
    redisKeyPrefix: 'profile:',
  }
  const started = await child.request<Started>('start', { redisUrl: redis.url, collaboration, extraPosts: 0 } satisfies StartArgs)
  const cookies = await loginAll(started.url)
  const socket = await connectCollab(started.url, cookies.alice)
  const recordId = started.postIds[0]!
  await joinPost(socket, recordId, 'edit')
  const viewers: Array<Awaited<ReturnType<typeof connectCollab>>> = []
  for (let i = 0; i < VIEWERS; i++) {
    const viewer = await connectCollab(started.url, i % 2 ? cookies.bob : cookies.carol)
    await joinPost(viewer, recordId, 'show')
    viewers.push(viewer)
  }
  const fan = CHAT ? new Fanout(viewers, 'chat:message') : undefined
  let n = 0
  const claim = async () => {
    if (!CHAT) {
      const { ms, reply } = await ask(socket, 'lock:claim', ref(recordId))
      if (!reply.ok) throw new Error(`lock:claim: ${JSON.stringify(reply)}`)
      return ms
    }
    const text = `m${++n}`
    const { lastMs } = await fan!.measure(
      async () => {
        const { reply } = await ask(socket, 'chat:send', { ...ref(recordId), to: null, text })
        if (!reply.ok) throw new Error(`chat:send: ${JSON.stringify(reply)}`)
      },
      (m) => (m as { text: string }).text === text,
      5000,
    )
    return lastMs
  }
  for (let i = 0; i < (CHAT ? 1000 : 6000); i++) await claim() // warm-up to the steady state (see B1)
  if (PROFILE) await child.request('profileStart', { intervalUs: 100 })
  const hot: number[] = []
  for (let i = 0; i < CLAIMS; i++) hot.push(await claim())
  const idle: number[] = []
  for (let i = 0; i < IDLE; i++) {
    await sleep(100)
    idle.push(await claim())
  }
  // How the p50 settles as V8 optimises the path: the bench's warm-ups are sized from this.
  const chunks: string[] = []
  for (let c = 0; c + 500 <= hot.length; c += 500) chunks.push(summarize(hot.slice(c, c + 500)).p50.toFixed(2))
  console.log(`p50 per 500 in order: ${chunks.join(' ')} ms`)
  const s = summarize(hot.slice(Math.floor(hot.length / 10)))
  console.log(`back to back: n ${s.n} p50 ${s.p50.toFixed(3)} ms p99 ${s.p99.toFixed(3)} ms`)
  if (IDLE) {
    const q = summarize(idle)
    console.log(`after 100 ms idle: n ${q.n} p50 ${q.p50.toFixed(3)} ms p99 ${q.p99.toFixed(3)} ms`)
  }
  if (PROFILE) await child.request('profileStop', { path })
  socket.disconnect()
} finally {
  await child.stop()
  await redis.stop()
}
if (PROFILE) {
  console.log(`profile: ${path}`)
  printTop(path, 30)
}

/**
 * B8, the grant: which Redis round trips a lock grant waits for before the claimer has its answer,
 * and which commands come after it. The collaboration server reaches Redis through a proxy that
 * holds every request for D ms (lib/delay-proxy.ts). A waiting editor claims a lock its holder has
 * just released (`lock:claim` granting it), first with D = 0, then with D > 0:
 *
 * - round trips on the claim's path = (claim p50 with D - claim p50 without) / D: each round trip
 *   the answer waits for costs D more, one sent without waiting for its reply costs nothing;
 * - with D > 0, MONITOR's timestamps split the commands Redis received during the claim into those
 *   before the claimer had its ack and those after (a command not waited for, sent as the answer
 *   goes out, reaches Redis D ms later: the adapter's broadcast XADD).
 *
 * The floor: the bare server's `echo-redis` (one Lua script, then the ack) through the same proxy,
 * measured the same way: it reads 1 round trip, which also checks the method.
 */
import type { Socket } from 'socket.io-client'
import type { LockStateEvent } from '../../src/protocol.js'
import { addRow, progress, startCollab, type Bench } from '../lib/bench.js'
import { ask, closeAll, connectBare, connectCollab, joinPost, ref } from '../lib/clients.js'
import { startDelayProxy } from '../lib/delay-proxy.js'
import { countEvents, type MonitorEvent } from '../lib/redis.js'
import { round, sleep, summarize } from '../lib/stats.js'

const DELAY_MS = 20

function describe(events: MonitorEvent[], per: number): string {
  const counts = countEvents(events)
  return (
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([command, calls]) => `${command} ${round(calls / per, 2)}`)
      .join(', ') || 'none'
  )
}

export async function b8GrantPath(bench: Bench): Promise<void> {
  const n = bench.quick ? 4 : 20
  const proxy = await startDelayProxy(bench.redisUrl)
  const details: Record<string, unknown> = { n, delayMs: DELAY_MS }
  try {
    progress(`B8: Redis round trips on a grant's path (${n} grants without and with ${DELAY_MS} ms per request)`)
    const app = await startCollab(bench, bench.collab, { posts: 5, redisUrl: proxy.url, extra: { heartbeatIntervalMs: 60_000, lockTtlMs: 300_000 } })
    const recordId = app.postIds[0]!
    const record = ref(recordId)
    const holder = await connectCollab(app.url, app.cookies.alice)
    const waiter = await connectCollab(app.url, app.cookies.bob)
    await bench.bare.request('redis', { url: proxy.url })
    const bare = await connectBare(bench.bareUrl)

    const claims = new Map<number, number[]>()
    const joins = new Map<number, number[]>()
    const echoes = new Map<number, number[]>()
    const before: MonitorEvent[] = []
    const after: MonitorEvent[] = []
    const ok = (what: string, reply: { ok: boolean }) => {
      if (!reply.ok) throw new Error(`B8 grant: ${what}: ${JSON.stringify(reply)}`)
    }
    // MONITOR runs in both phases, so that its own cost is the same in both.
    const monitor = await bench.redis.monitor()
    try {
      for (const delay of [0, DELAY_MS]) {
        proxy.setDelay(delay)
        const claimMs: number[] = []
        const joinMs: number[] = []
        const echoMs: number[] = []
        for (let i = -2; i < n; i++) {
          const held = await joinPost(holder, recordId, 'edit')
          if (held.lease?.tabId !== held.tabId) throw new Error('B8 grant: the holder did not get the free lock')
          const waiting = await joinPost(waiter, recordId, 'edit')
          if (waiting.lease?.tabId !== held.tabId) throw new Error('B8 grant: the waiting editor does not see the holder')
          ok('holder leave', (await ask(holder, 'record:leave', record)).reply)
          await sleep(delay + 30)
          const sentAt = Date.now()
          const claim = await ask<LockStateEvent>(waiter, 'lock:claim', record)
          // Date.now() has 1 ms steps; a command not waited for reaches Redis about D after the ack,
          // one waited for before it, so D / 2 past the ack is the line between the two.
          const ackAt = Date.now()
          ok('claim', claim.reply)
          if (claim.reply.ok && claim.reply.data.lease?.tabId !== waiting.tabId) throw new Error('B8 grant: the claim did not grant the lock')
          await sleep(delay + 50)
          const endAt = Date.now()
          if (i >= 0) {
            claimMs.push(claim.ms)
            joinMs.push(held.ms)
            if (delay > 0) {
              for (const event of monitor.events) {
                if (event.command === 'xread' || event.atMs < sentAt || event.atMs >= endAt) continue
                ;(event.atMs < ackAt + DELAY_MS / 2 ? before : after).push(event)
              }
            }
          }
          monitor.events.length = 0
          ok('waiter leave', (await ask(waiter, 'record:leave', record)).reply)
          const echo = await ask(bare, 'echo-redis', record)
          ok('echo-redis', echo.reply)
          if (i >= 0) echoMs.push(echo.ms)
          await sleep(delay + 30)
        }
        claims.set(delay, claimMs)
        joins.set(delay, joinMs)
        echoes.set(delay, echoMs)
      }
    } finally {
      monitor.stop()
      proxy.setDelay(0)
      await bench.bare.request('redis', { url: bench.redisUrl })
    }
    const pathOf = (samples: Map<number, number[]>) => (summarize(samples.get(DELAY_MS)!).p50 - summarize(samples.get(0)!).p50) / DELAY_MS
    const claimPath = pathOf(claims)
    const joinPath = pathOf(joins)
    const echoPath = pathOf(echoes)
    const name = 'Redis round trips per lock grant'
    addRow(bench, {
      id: 'B8',
      name,
      metric: 'lock:claim grant: round trips on its path',
      value: round(claimPath, 2),
      unit: '',
      floor: round(echoPath, 2),
      target: '1',
      met: claimPath < 1.5,
      headline: 'Redis round trips per grant, on the path',
      note: `(claim p50 with ${DELAY_MS} ms per Redis request ${round(summarize(claims.get(DELAY_MS)!).p50, 1)} ms - without ${round(summarize(claims.get(0)!).p50, 2)} ms) / ${DELAY_MS} ms; floor: the bare echo-redis measured the same way; Redis got before the ack, per grant: ${describe(before, n)}`,
    })
    addRow(bench, {
      id: 'B8',
      name,
      metric: 'lock:claim grant: commands after the ack',
      value: after.length / n,
      unit: '',
      floor: null,
      target: '',
      met: null,
      headline: 'Redis commands per grant, after the ack',
      note: `commands Redis received after the claimer had its ack (with ${DELAY_MS} ms per request), per grant: ${describe(after, n)}`,
    })
    addRow(bench, {
      id: 'B8',
      name,
      metric: 'record:join edit (grant): round trips on its path',
      value: round(joinPath, 2),
      unit: '',
      floor: round(echoPath, 2),
      target: '',
      met: null,
    })
    details.claims = Object.fromEntries(claims)
    details.joins = Object.fromEntries(joins)
    details.echoes = Object.fromEntries(echoes)
    details.before = countEvents(before)
    details.after = countEvents(after)
    await bench.collab.request('stop')
    closeAll([holder, waiter, bare] as Socket[])
  } finally {
    await proxy.close()
    bench.details.B8grant = details
  }
}

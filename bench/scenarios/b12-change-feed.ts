/**
 * B12: a change reaching every connected admin (the change feed, issue 14). Two server processes
 * sharing the bench's Redis (store, adapter, sessions), N logged-in admin sockets split between
 * them (each in the Post feed room, as every admin who may list Posts is), then saves of a post made
 * through the admin's HTTP API on process A, each after reading the record's version as a form
 * does (the write guard refuses a save without it). Per save: from just before the save's POST is
 * sent until the first socket, and until the last of the N, has its `change:feed`.
 *
 * Floors, in the same run:
 *  - a bare Socket.IO broadcast of a payload of the same size (the very event, its title swapped) to
 *    as many bare sockets, split between two bare processes that share one stream of the same Redis
 *    streams adapter; the sender on the first, rounds interleaved with ours;
 *  - for the fan-out alone, without the save in front of it: per save, the last socket's time minus
 *    the first's, against the same of the bare broadcast.
 * Also the save's HTTP round trip with no socket connected (measured first), for scale. It is no
 * part of a floor: the feed leaves before the save's reply (the write guard reports the write
 * before AdminJS answers), so "save round trip + bare broadcast" can exceed what ours takes. With
 * the sockets connected, the reply reaches this one client process behind their events, so that
 * round trip is not the server's and is kept in the details only.
 */
import type { Socket } from 'socket.io-client'
import { fileURLToPath } from 'node:url'
import { VERSION_PARAM, type ChangeEvent } from '../../src/protocol.js'
import { adminApi } from '../../test/support/admin-api.js'
import { addRow, progress, startCollab, type Bench } from '../lib/bench.js'
import { Child } from '../lib/child.js'
import { anyCookie, ask, closeAll, connectBare, connectCollab, connectMany, Fanout, joinRoom, type FanoutResult } from '../lib/clients.js'
import { round, sleep, summarize } from '../lib/stats.js'

const BARE_SCRIPT = new URL('../bare-server.ts', import.meta.url)
const RESULTS = fileURLToPath(new URL('../results/', import.meta.url))

interface Series {
  first: number[]
  last: number[]
  /** last - first, per round that reached everyone. */
  spread: number[]
  /** The save's own HTTP round trip (ours only). */
  rtt: number[]
  missed: number
}

const series = (): Series => ({ first: [], last: [], spread: [], rtt: [], missed: 0 })

function add(target: Series, result: FanoutResult, rttMs?: number): void {
  if (result.latencies.length) target.first.push(Math.min(...result.latencies))
  if (!Number.isNaN(result.lastMs)) {
    target.last.push(result.lastMs)
    target.spread.push(result.lastMs - Math.min(...result.latencies))
  }
  if (rttMs !== undefined) target.rtt.push(rttMs)
  target.missed += result.missed
}

export async function b12(bench: Bench): Promise<void> {
  const scale = bench.quick ? { sockets: 200, saves: 5, alone: 5 } : { sockets: 1_000, saves: 60, alone: 40 }
  const half = scale.sockets / 2
  // One prefix: both processes share the store, the sessions' Redis and the adapter's stream.
  const prefix = `bench:${bench.runId}:b12:`
  const [a, peer] = await Promise.all([startCollab(bench, bench.collab, { posts: 20, prefix }), startCollab(bench, bench.peer, { posts: 20, prefix })])
  const api = adminApi(a.url)
  const writer = a.cookies.alice
  const postIds = a.postIds.slice(0, 10)
  const streamName = `bench:${bench.runId}:b12:bare-stream`
  const bareArgs = { pingIntervalMs: bench.overrides.pingIntervalMs, pingTimeoutMs: bench.overrides.pingTimeoutMs, redisUrl: bench.redisUrl, streamName }
  const bareChildren = await Promise.all([Child.start('bare-feed-A', BARE_SCRIPT, `${RESULTS}bare-b12-A.log`), Child.start('bare-feed-B', BARE_SCRIPT, `${RESULTS}bare-b12-B.log`)])
  const sockets: Socket[] = []
  const bareSockets: Socket[] = []
  try {
    const [bareA, bareB] = (await Promise.all(bareChildren.map((child) => child.request<{ url: string }>('start', bareArgs)))) as [{ url: string }, { url: string }]
    let saves = 0
    /**
     * One save as a form makes it: read the record's version (not timed), then `post()` sends the
     * timed POST. The title says which save an event is of (it may arrive before the POST's reply).
     */
    const prepare = async () => {
      const recordId = postIds[saves % postIds.length]!
      const title = `bench feed ${String(++saves).padStart(4, '0')} ${bench.runId}`
      const version = await api.version(writer, recordId)
      const post = async (): Promise<number> => {
        const started = performance.now()
        const reply = await api.record(writer, recordId, 'edit', { title, [VERSION_PARAM]: version })
        const ms = performance.now() - started
        if (reply.body.notice?.type !== 'success') throw new Error(`B12: the save of ${recordId} was refused: ${reply.body.notice?.message ?? reply.status}`)
        return ms
      }
      return { title, post }
    }

    progress(`B12: ${scale.alone} saves on A with no socket connected (the save's round trip alone)`)
    const alone: number[] = []
    for (let i = 0; i < scale.alone + 3; i++) {
      const ms = await (await prepare()).post()
      if (i >= 3) alone.push(ms) // the first three warm up AdminJS and the connection
      await sleep(30)
    }

    progress(`B12: ${half} admin sockets on A and ${half} on B; ${half} + ${half} bare sockets on two bare processes`)
    sockets.push(
      ...(await connectMany(
        scale.sockets,
        20,
        (i) => connectCollab(i < half ? a.url : peer.url, anyCookie(i < half ? a.cookies : peer.cookies, i)),
        async () => undefined,
      )),
    )
    bareSockets.push(
      ...(await connectMany(
        scale.sockets,
        50,
        (i) => connectBare(i < half ? bareA.url : bareB.url),
        async (socket) => joinRoom(socket, 'feed'),
      )),
    )
    const bareSender = await connectBare(bareA.url) // not in the room: only sends
    await sleep(500) // every socket is placed in its feed rooms as it connects (asynchronously)

    const fan = new Fanout(sockets, 'change:feed')
    const bareFan = new Fanout(bareSockets, 'change:feed')
    const byTitle = (title: string) => (p: unknown) => (p as ChangeEvent).title === title
    const ours = series()
    const bare = series()
    let template: ChangeEvent | undefined
    const grab = (p: unknown) => void (template ??= p as ChangeEvent)
    sockets[0]!.once('change:feed', grab)
    try {
      // Warm-up, not counted: until one save reaches every socket (placement done, B's adapter
      // reading), and one bare broadcast every bare socket.
      for (let tries = 0; ; tries++) {
        const { title, post } = await prepare()
        const result = await fan.measure(post, byTitle(title), 10_000)
        if (result.missed === 0) break
        if (tries >= 3) throw new Error(`B12: ${result.missed} of ${scale.sockets} sockets never got a save's change:feed`)
        await sleep(500)
      }
      if (!template) throw new Error('B12: no change:feed payload to copy for the floor')
      const payloadOf = (title: string): ChangeEvent => ({ ...template!, id: `${Date.now()}-0`, atMs: Date.now(), title })
      for (let tries = 0; ; tries++) {
        const title = `bench bare warm ${tries} ${bench.runId}`
        const result = await bareFan.measure(() => ask(bareSender, 'room-emit', { room: 'feed', event: 'change:feed', payload: payloadOf(title) }), byTitle(title), 10_000)
        if (result.missed === 0) break
        if (tries >= 3) throw new Error(`B12: ${result.missed} of ${scale.sockets} bare sockets never got the broadcast`)
        await sleep(500)
      }

      progress(`B12: ${scale.saves} saves on A, each until all ${scale.sockets} admins have it, interleaved with bare broadcasts`)
      for (let r = 0; r < scale.saves; r++) {
        const { title, post } = await prepare()
        let rtt = Number.NaN
        const result = await fan.measure(async () => void (rtt = await post()), byTitle(title), 10_000)
        add(ours, result, rtt)
        await sleep(40)
        // The same size as ours: a title of the same length.
        const bareTitle = title.replace(/^bench feed/, 'bench bare')
        add(bare, await bareFan.measure(() => ask(bareSender, 'room-emit', { room: 'feed', event: 'change:feed', payload: payloadOf(bareTitle) }), byTitle(bareTitle), 10_000))
        await sleep(40)
      }
    } finally {
      fan.dispose()
      bareFan.dispose()
      bareSender.disconnect()
    }

    const name = `change feed to ${scale.sockets} admins, 2 processes`
    const last = summarize(ours.last)
    const first = summarize(ours.first)
    const bareLast = summarize(bare.last)
    const bareFirst = summarize(bare.first)
    const spread = summarize(ours.spread)
    const bareSpread = summarize(bare.spread)
    const rttAlone = summarize(alone)
    const rttWith = summarize(ours.rtt)
    addRow(bench, {
      id: 'B12',
      name,
      metric: 'save -> all know p50',
      value: last.p50,
      unit: 'ms',
      floor: bareLast.p50,
      target: '',
      met: null,
      headline: 'change to 1,000 admins on 2 processes p50',
      note: `from just before the save's POST (after reading its version) until the last socket's change:feed; floor: a bare broadcast of the same size to as many bare sockets on two bare processes sharing a Redis streams adapter, rounds interleaved; ${ours.missed} missed (bare ${bare.missed})`,
    })
    addRow(bench, {
      id: 'B12',
      name,
      metric: 'save -> all know p99',
      value: last.p99,
      unit: 'ms',
      floor: bareLast.p99,
      target: '',
      met: null,
      headline: 'change to 1,000 admins on 2 processes p99',
    })
    addRow(bench, { id: 'B12', name, metric: 'save -> first knows p50', value: first.p50, unit: 'ms', floor: bareFirst.p50, target: '', met: null })
    addRow(bench, { id: 'B12', name, metric: 'save -> first knows p99', value: first.p99, unit: 'ms', floor: bareFirst.p99, target: '', met: null })
    addRow(bench, {
      id: 'B12',
      name,
      metric: 'first -> last knows p50',
      value: spread.p50,
      unit: 'ms',
      floor: bareSpread.p50,
      target: '',
      met: null,
      note: "per save, the last socket's time minus the first's: the fan-out alone, without the save before it; floor: the same of the bare broadcast",
    })
    addRow(bench, {
      id: 'B12',
      name,
      metric: 'save round trip alone p50',
      value: rttAlone.p50,
      unit: 'ms',
      floor: null,
      target: '',
      met: null,
      note: `the POST of a save with no socket connected (p99 ${round(rttAlone.p99)} ms). With the sockets connected its reply reaches this one client process behind the ${scale.sockets} events (p50 ${round(rttWith.p50)} ms), so that time is the clients', not the server's`,
    })
    addRow(bench, { id: 'B12', name, metric: 'missed deliveries', value: ours.missed, unit: '', floor: bare.missed, target: '0', met: ours.missed === 0 })
    bench.details.B12 = { scale, last, first, bareLast, bareFirst, spread, bareSpread, rttAlone, rttWith, missed: ours.missed, bareMissed: bare.missed }
  } finally {
    // The servers go first, so our disconnects do not start reconnect graces in a closing server.
    await Promise.all([bench.collab.request('stop'), bench.peer.request('stop')])
    closeAll(sockets)
    closeAll(bareSockets)
    await Promise.all(bareChildren.map((child) => child.stop().catch(() => child.kill())))
  }
}

/**
 * B3: a join seen by everyone on the record. An editor holds the record and N viewers are on it;
 * each round one more tab joins (`record:join` show) and the time from its request to each
 * viewer's `presence:changed` that counts it is taken; then it leaves again. The floor: the bare
 * server's room emit, to as many sockets, of the very `presence:changed` message the viewers got
 * (same size), rounds interleaved with ours.
 */
import type { Socket } from 'socket.io-client'
import type { PresenceChangedEvent } from '../../src/protocol.js'
import { addRow, progress, startCollab, type Bench } from '../lib/bench.js'
import { anyCookie, ask, closeAll, connectBare, connectCollab, connectMany, Fanout, joinPost, joinRoom, ref } from '../lib/clients.js'
import { round, sleep, summarize } from '../lib/stats.js'

export async function b3(bench: Bench): Promise<void> {
  const scale = bench.quick ? { viewers: 20, rounds: 5 } : { viewers: 100, rounds: 40 }
  const app = await startCollab(bench, bench.collab, { posts: 3 })
  const recordId = app.postIds[0]!
  const record = ref(recordId)

  progress(`B3: a holder and ${scale.viewers} viewers on one record, ${scale.rounds} joins`)
  const holder = await connectCollab(app.url, app.cookies.alice)
  await joinPost(holder, recordId, 'edit')
  const viewers = await connectMany(
    scale.viewers,
    20,
    (i) => connectCollab(app.url, anyCookie(app.cookies, i)),
    async (socket) => void (await joinPost(socket, recordId, 'show')),
  )
  const joiner = await connectCollab(app.url, app.cookies.carol)
  const bareSender = await connectBare(bench.bareUrl)
  const bareViewers = await connectMany(
    scale.viewers,
    50,
    () => connectBare(bench.bareUrl),
    async (socket) => joinRoom(socket, 'join-fan'),
  )
  await sleep(300) // the setup's presence broadcasts settle

  // The joiner's own line: its user may have viewer tabs here already (the cookies take turns).
  const joinerId = (await joinPost(joiner, recordId, 'show')).user.id
  await ask(joiner, 'record:leave', record)
  const joinerViewers = viewers.filter((_, i) => anyCookie(app.cookies, i) === app.cookies.carol).length
  await sleep(300)
  const isFor = (tabs: number) => (p: unknown) => {
    const event = p as PresenceChangedEvent
    return event.recordId === recordId && event.changes.some((change) => change.userId === joinerId && (change.person?.tabs ?? 0) === tabs)
  }
  let message: PresenceChangedEvent | undefined
  const capture = (p: unknown) => {
    if (!message && isFor(joinerViewers + 1)(p)) message = p as PresenceChangedEvent
  }
  viewers[0]!.on('presence:changed', capture)
  const fan = new Fanout(viewers, 'presence:changed')
  const bareFan = new Fanout(bareViewers, 'presence:changed')
  const ours: number[] = []
  const floor: number[] = []
  const oursLast: number[] = []
  const floorLast: number[] = []
  let missed = 0
  let floorMissed = 0
  for (let r = -1; r < scale.rounds; r++) {
    const joined = await fan.measure(() => joinPost(joiner, recordId, 'show'), isFor(joinerViewers + 1), 5_000)
    await fan.measure(() => ask(joiner, 'record:leave', record), isFor(joinerViewers), 5_000)
    if (!message) throw new Error('B3: no viewer saw a presence:changed counting the new tab')
    const payload = { ...message, round: r }
    const bare = await bareFan.measure(
      () => ask(bareSender, 'room-emit', { room: 'join-fan', event: 'presence:changed', payload }),
      (p) => (p as { round?: number }).round === r,
      5_000,
    )
    if (r < 0) continue // warm-up round
    ours.push(...joined.latencies)
    floor.push(...bare.latencies)
    if (!Number.isNaN(joined.lastMs)) oursLast.push(joined.lastMs)
    if (!Number.isNaN(bare.lastMs)) floorLast.push(bare.lastMs)
    missed += joined.missed
    floorMissed += bare.missed
    await sleep(20)
  }
  fan.dispose()
  bareFan.dispose()
  viewers[0]!.off('presence:changed', capture)
  await bench.collab.request('stop')
  closeAll([holder, joiner, bareSender, ...viewers, ...bareViewers] as Socket[])

  const o = summarize(ours)
  const f = summarize(floor)
  const name = `join seen by ${scale.viewers} viewers`
  const bytes = Buffer.byteLength(JSON.stringify(message))
  addRow(bench, {
    id: 'B3',
    name,
    metric: 'presence:changed p50',
    value: o.p50,
    unit: 'ms',
    floor: f.p50,
    target: '<= 10 ms',
    met: o.p50 <= 10 && missed === 0,
    headline: 'join seen by 100 viewers p50',
    note: `from the joiner's record:join to each viewer's presence:changed counting it, ${scale.rounds} joins; floor: bare room emit of the same ${bytes}-byte message`,
  })
  addRow(bench, {
    id: 'B3',
    name,
    metric: 'presence:changed p99',
    value: o.p99,
    unit: 'ms',
    floor: f.p99,
    target: '<= 20 ms',
    met: o.p99 <= 20 && missed === 0,
    headline: 'join seen by 100 viewers p99',
  })
  addRow(bench, {
    id: 'B3',
    name,
    metric: 'last viewer, median join',
    value: summarize(oursLast).p50,
    unit: 'ms',
    floor: summarize(floorLast).p50,
    target: '',
    met: null,
  })
  addRow(bench, { id: 'B3', name, metric: 'missed deliveries', value: missed, unit: '', floor: floorMissed, target: '0', met: missed === 0 })
  bench.details.B3 = {
    scale,
    ours: o,
    floor: f,
    oursLast: summarize(oursLast),
    floorLast: summarize(floorLast),
    missed,
    floorMissed,
    bytes,
    lastMs: round(Math.max(...oursLast, 0), 1),
  }
}

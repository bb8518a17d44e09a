/**
 * B6: B2 across two server processes sharing one Redis (as behind a load balancer): the holder on
 * process A, half the viewers on A and half on B. Viewers on B learn of A's release only through
 * whatever carries Socket.IO broadcasts between processes (a Redis adapter); without one they never
 * do, and the scenario reports it as not available.
 */
import type { LockStateEvent } from '../../src/protocol.js'
import { addRow, notAvailable, progress, startCollab, type Bench } from '../lib/bench.js'
import { anyCookie, ask, closeAll, connectCollab, connectMany, Fanout, joinPost, ref } from '../lib/clients.js'
import { sleep, summarize } from '../lib/stats.js'

export async function b6(bench: Bench): Promise<void> {
  const scale = bench.quick ? { viewers: 20, rounds: 5 } : { viewers: 100, rounds: 30 }
  const prefix = `bench:${bench.runId}:b6:`
  const [a, b] = await Promise.all([startCollab(bench, bench.collab, { posts: 5, prefix }), startCollab(bench, bench.peer, { posts: 5, prefix })])
  const recordId = a.postIds[0]!
  if (b.postIds[0] !== recordId) throw new Error('B6: the two processes seeded different record ids')
  const record = ref(recordId)
  const half = scale.viewers / 2
  const name = `lock:state across 2 processes, ${scale.viewers} viewers`

  progress(`B6: holder on A, ${half} viewers on A, ${half} on B`)
  const holder = await connectCollab(a.url, a.cookies.alice)
  const held = await joinPost(holder, recordId, 'edit')
  if (held.lease?.tabId !== held.tabId) throw new Error('B6: the holder did not get the lock')
  const local = await connectMany(
    half,
    20,
    (i) => connectCollab(a.url, anyCookie(a.cookies, i)),
    async (socket) => void (await joinPost(socket, recordId, 'show')),
  )
  const remote = await connectMany(
    half,
    20,
    (i) => connectCollab(b.url, anyCookie(b.cookies, i)),
    async (socket) => void (await joinPost(socket, recordId, 'show')),
  )
  await sleep(300)

  const all = [...local, ...remote]
  const fan = new Fanout(all, 'lock:state')
  const localLat: number[] = []
  const remoteLat: number[] = []
  let missedLocal = 0
  let missedRemote = 0
  const isRelease = (p: unknown) => (p as LockStateEvent).recordId === recordId && (p as LockStateEvent).lease === null
  const isGrant = (p: unknown) => (p as LockStateEvent).recordId === recordId && (p as LockStateEvent).lease !== null
  try {
    for (let r = 0; r < scale.rounds; r++) {
      const result = await fan.measure(() => ask(holder, 'record:leave', record), isRelease, r === 0 ? 3_000 : 5_000)
      result.times.forEach((t, i) => {
        const onA = i < half
        if (t > 0) (onA ? localLat : remoteLat).push(t)
        else if (onA) missedLocal += 1
        else missedRemote += 1
      })
      if (r === 0 && result.times.subarray(half).every((t) => t === 0)) {
        const localSummary = summarize(localLat)
        notAvailable(
          bench,
          'B6',
          name,
          'release p99 on B (remote)',
          '< 50 ms',
          `viewers on process B got no lock:state within 3 s of a release on A (no cross-process broadcast; local viewers p99 ${localSummary.p99.toFixed(2)} ms)`,
        )
        bench.details.B6 = { available: false, local: localSummary }
        return
      }
      await fan.measure(() => joinPost(holder, recordId, 'edit'), isGrant, 5_000)
      await sleep(20)
    }
    const l = summarize(localLat)
    const rm = summarize(remoteLat)
    addRow(bench, {
      id: 'B6',
      name,
      metric: 'release p50 on B (remote)',
      value: rm.p50,
      unit: 'ms',
      floor: l.p50,
      target: '',
      met: null,
      note: "floor column: viewers on A, the holder's process",
    })
    addRow(bench, { id: 'B6', name, metric: 'release p99 on B (remote)', value: rm.p99, unit: 'ms', floor: l.p99, target: '< 50 ms', met: rm.p99 < 50 && missedRemote === 0 })
    addRow(bench, { id: 'B6', name, metric: 'missed deliveries (A, B)', value: missedRemote, unit: '', floor: missedLocal, target: '0', met: missedLocal + missedRemote === 0 })
    bench.details.B6 = { available: true, scale, local: l, remote: rm, missedLocal, missedRemote }
  } finally {
    fan.dispose()
    await Promise.all([bench.collab.request('stop'), bench.peer.request('stop')])
    closeAll([holder, ...all])
  }
}

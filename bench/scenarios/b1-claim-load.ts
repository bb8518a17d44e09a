/**
 * B1 under load: lock claim latency at a fixed arrival rate, with idle viewers connected, against a bare
 * Socket.IO ack echo at the same rate and with as many idle sockets.
 *
 * Each claimer owns one record (all different) and runs cycles on a fixed schedule (open loop: a
 * cycle starts when due, or as soon as the previous one ends if the server fell behind, and the lag
 * is reported): `record:join` intent edit (the record is free: a grant), `lock:claim` (the holder
 * claiming again: a renewal), `record:leave` (release). The floor runs three acknowledged events
 * per cycle on the same schedule: `echo`, `echo-redis` (one trivial Lua script first), `echo`.
 * Ours and the floor run in alternating phases, both sets of sockets connected throughout.
 */
import { randomUUID } from 'node:crypto'
import type { Socket } from 'socket.io-client'
import type { JoinReply, LockStateEvent } from '../../src/protocol.js'
import { addRow, measureLoad, progress, startCollab, type Bench, type Load } from '../lib/bench.js'
import { anyCookie, ask, closeAll, connectBare, connectCollab, connectMany, editorCookie, joinPost, joinRoom, ref } from '../lib/clients.js'
import { round, sleep, summarize, type Summary } from '../lib/stats.js'

interface Paced {
  cycles: number
  elapsedMs: number
  lags: number[]
}

function combine(runs: Paced[]): { cycles: number; elapsedMs: number; lag: Summary } {
  return {
    cycles: runs.reduce((sum, run) => sum + run.cycles, 0),
    elapsedMs: runs.reduce((sum, run) => sum + run.elapsedMs, 0),
    lag: summarize(runs.flatMap((run) => run.lags)),
  }
}

function meanLoad(loads: Load[]): Load {
  const mean = (pick: (load: Load) => number) => round(loads.reduce((sum, load) => sum + pick(load), 0) / loads.length, 1)
  return {
    serverCpuPercent: mean((l) => l.serverCpuPercent),
    clientCpuPercent: mean((l) => l.clientCpuPercent),
    redisCpuPercent: mean((l) => l.redisCpuPercent),
    serverLoopDelay: {
      p50: mean((l) => l.serverLoopDelay.p50),
      p99: Math.max(...loads.map((l) => l.serverLoopDelay.p99)),
      max: Math.max(...loads.map((l) => l.serverLoopDelay.max)),
    },
  }
}

/** Runs `cycle(i)` for each client on a fixed schedule: `rate` cycles per second over all clients. */
async function paced(clients: number, rate: number, durationMs: number, cycle: (i: number) => Promise<void>): Promise<Paced> {
  const periodMs = (clients / rate) * 1000
  const start = performance.now() + 20
  const lags: number[] = []
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      for (let k = 0; ; k++) {
        const due = start + (i / clients) * periodMs + k * periodMs
        if (due >= start + durationMs) return
        const wait = due - performance.now()
        if (wait > 0) await sleep(wait)
        lags.push(Math.max(0, performance.now() - due))
        await cycle(i)
      }
    }),
  )
  return { cycles: lags.length, elapsedMs: performance.now() - start, lags }
}

export async function b1Load(bench: Bench): Promise<void> {
  const scale = bench.quick
    ? { claimers: 20, rate: 100, viewers: 100, warmupMs: 500, phaseMs: 1_000, phases: 2 }
    : { claimers: 100, rate: 500, viewers: 1_000, warmupMs: 2_000, phaseMs: 4_000, phases: 3 }
  const viewerRecords = Math.ceil(scale.viewers / 10)
  const app = await startCollab(bench, bench.collab, { posts: scale.claimers + viewerRecords })
  const claimRecords = app.postIds.slice(0, scale.claimers)
  const idleRecords = app.postIds.slice(scale.claimers, scale.claimers + viewerRecords)

  progress(`B1: ${scale.viewers} idle viewers on ${viewerRecords} records, ${scale.claimers} claimers`)
  const viewers = await connectMany(
    scale.viewers,
    100,
    (i) => connectCollab(app.url, anyCookie(app.cookies, i)),
    async (socket, i) => {
      await joinPost(socket, idleRecords[i % viewerRecords]!, 'show')
    },
  )
  const claimers = await Promise.all(Array.from({ length: scale.claimers }, (_, i) => connectCollab(app.url, editorCookie(app.cookies, i))))

  const samples = { join: [] as number[], claim: [] as number[], leave: [] as number[] }
  const errors: string[] = []
  let recording = false
  const cycle = async (i: number) => {
    const socket = claimers[i]!
    const record = ref(claimRecords[i]!)
    try {
      const tabToken = randomUUID()
      const join = await ask<JoinReply>(socket, 'record:join', { ...record, tabToken, intent: 'edit' })
      if (!join.reply.ok) throw new Error(`join: ${join.reply.error.code}`)
      if (join.reply.data.lease?.tabId !== join.reply.data.tabId) throw new Error('join: not granted')
      const claim = await ask<LockStateEvent>(socket, 'lock:claim', record)
      if (!claim.reply.ok) throw new Error(`claim: ${claim.reply.error.code}`)
      const leave = await ask(socket, 'record:leave', record)
      if (!leave.reply.ok) throw new Error(`leave: ${leave.reply.error.code}`)
      if (recording) {
        samples.join.push(join.ms)
        samples.claim.push(claim.ms)
        samples.leave.push(leave.ms)
      }
    } catch (error) {
      if (recording) errors.push(error instanceof Error ? error.message : String(error))
    }
  }
  // The floor's sockets too, connected for the whole scenario: as many idle ones (in rooms of ten).
  const bareViewers = await connectMany(
    scale.viewers,
    100,
    () => connectBare(bench.bareUrl),
    async (socket, i) => {
      await joinRoom(socket, `idle:${i % viewerRecords}`)
    },
  )
  const echoClients: Socket[] = await Promise.all(Array.from({ length: scale.claimers }, () => connectBare(bench.bareUrl)))
  const echo: number[] = []
  const echoRedis: number[] = []
  let echoErrors = 0
  // Three events per cycle like ours; the middle one also runs one Redis script, as a claim does.
  const echoCycle = async (i: number) => {
    const socket = echoClients[i]!
    const record = ref(claimRecords[i]!)
    try {
      const first = await ask(socket, 'echo', record)
      const middle = await ask(socket, 'echo-redis', record)
      const last = await ask(socket, 'echo', record)
      if (recording) echo.push(first.ms, last.ms)
      if (recording) echoRedis.push(middle.ms)
    } catch {
      if (recording) echoErrors += 1
    }
  }

  // Ours and the floor in alternating phases, so that a noisy moment of the machine hits both.
  progress(`B1: ${scale.rate} cycles/s, ${scale.phases} phases of ${scale.phaseMs / 1000} s each for ours and the floor (warm-up ${scale.warmupMs / 1000} s each)`)
  await paced(scale.claimers, scale.rate, scale.warmupMs, cycle)
  await paced(scale.claimers, scale.rate, scale.warmupMs, echoCycle)
  const collabRuns: Paced[] = []
  const bareRuns: Paced[] = []
  const collabUsages: Load[] = []
  const bareUsages: Load[] = []
  recording = true
  for (let phase = 0; phase < scale.phases; phase++) {
    const collabLoad = await measureLoad(bench, bench.collab)
    collabRuns.push(await paced(scale.claimers, scale.rate, scale.phaseMs, cycle))
    collabUsages.push(await collabLoad())
    const bareLoad = await measureLoad(bench, bench.bare)
    bareRuns.push(await paced(scale.claimers, scale.rate, scale.phaseMs, echoCycle))
    bareUsages.push(await bareLoad())
  }
  recording = false
  await bench.collab.request('stop')
  closeAll(claimers)
  closeAll(viewers)
  closeAll(echoClients)
  closeAll(bareViewers)
  const collabRun = combine(collabRuns)
  const bareRun = combine(bareRuns)
  const collabUsage = meanLoad(collabUsages)
  const bareUsage = meanLoad(bareUsages)

  const claim = summarize(samples.claim)
  const join = summarize(samples.join)
  const leave = summarize(samples.leave)
  const base = summarize(echo)
  const baseRedis = summarize(echoRedis)
  const name = `${scale.rate} cycles/s, ${scale.viewers} idle`
  const ratio50 = claim.p50 / base.p50
  addRow(bench, { id: 'B1', name, metric: 'lock:claim p50', value: claim.p50, unit: 'ms', floor: base.p50, target: '<= 2.5x echo', met: ratio50 <= 2.5 })
  addRow(bench, { id: 'B1', name, metric: 'lock:claim p99', value: claim.p99, unit: 'ms', floor: base.p99, target: '', met: null })
  addRow(bench, {
    id: 'B1',
    name,
    metric: 'lock:claim p50 vs echo+Redis',
    value: claim.p50,
    unit: 'ms',
    floor: baseRedis.p50,
    target: '',
    met: null,
    note: 'floor: the bare server acknowledging after one trivial Lua script on the same Redis, same schedule',
  })
  addRow(bench, { id: 'B1', name, metric: 'record:join edit (grant) p50', value: join.p50, unit: 'ms', floor: base.p50, target: '', met: null })
  addRow(bench, { id: 'B1', name, metric: 'record:join edit (grant) p99', value: join.p99, unit: 'ms', floor: base.p99, target: '', met: null })
  addRow(bench, { id: 'B1', name, metric: 'record:leave (release) p50', value: leave.p50, unit: 'ms', floor: base.p50, target: '', met: null })
  addRow(bench, { id: 'B1', name, metric: 'record:leave (release) p99', value: leave.p99, unit: 'ms', floor: base.p99, target: '', met: null })
  const achieved = collabRun.cycles / (collabRun.elapsedMs / 1000)
  addRow(bench, {
    id: 'B1',
    name,
    metric: 'cycles/s achieved',
    value: achieved,
    unit: '/s',
    floor: bareRun.cycles / (bareRun.elapsedMs / 1000),
    target: '',
    met: null,
    note: `schedule lag p99 ${round(collabRun.lag.p99)} ms (bare ${round(bareRun.lag.p99)} ms); CPU (% of one core) server ${collabUsage.serverCpuPercent} (bare ${bareUsage.serverCpuPercent}), clients ${collabUsage.clientCpuPercent} (${bareUsage.clientCpuPercent}), redis ${collabUsage.redisCpuPercent} (${bareUsage.redisCpuPercent}); server event-loop delay p99 (worst phase) ${collabUsage.serverLoopDelay.p99} ms, max ${collabUsage.serverLoopDelay.max} ms (bare ${bareUsage.serverLoopDelay.p99} / ${bareUsage.serverLoopDelay.max})`,
  })
  addRow(bench, {
    id: 'B1',
    name,
    metric: 'errors',
    value: errors.length,
    unit: '',
    floor: echoErrors,
    target: '0',
    met: errors.length === 0,
    ...(errors.length ? { note: `first: ${errors[0]}` } : {}),
  })
  bench.details.B1 = {
    scale,
    claim,
    join,
    leave,
    echo: base,
    echoRedis: baseRedis,
    collabUsage,
    bareUsage,
    collabRun,
    bareRun,
    errors: errors.slice(0, 10),
    errorCount: errors.length,
  }
  await sleep(200)
}

/**
 * B9: a stampede. N clients are created at the same instant (a restart of a busy admin: every open
 * tab reconnects), eight per record, each joining its record with intent edit. Every one must
 * connect and learn its record's lock state; reported: the time until the last one knows it, the
 * errors, and whether all clients of a record agree on one holder (the atomic claim). The floor:
 * as many bare sockets created at once, each connecting and getting an answer (a room `join`,
 * acknowledged), eight per room: the time until the last has it.
 */
import { readFileSync } from 'node:fs'
import type { Socket } from 'socket.io-client'
import type { JoinReply, LockStateEvent } from '../../src/protocol.js'
import { addRow, describeLoad, measureLoad, notAvailable, progress, startCollab, type Bench } from '../lib/bench.js'
import { ask, closeAll, editorCookie, joinRoom, openBare, openCollab, ref } from '../lib/clients.js'
import { round, sleep, summarize, waitUntil } from '../lib/stats.js'

const PER_RECORD = 8

export function openFilesLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'))
  return Number(line?.split(/\s+/)[3] ?? Number.NaN)
}

/** Listen queue overflows of the whole machine (TcpExt), to tell a full accept queue from a slow server. */
export function listenOverflows(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n')
    const header = lines.find((l) => l.startsWith('TcpExt:'))?.split(/\s+/) ?? []
    const values = lines.filter((l) => l.startsWith('TcpExt:'))[1]?.split(/\s+/) ?? []
    return Number(values[header.indexOf('ListenOverflows')] ?? Number.NaN)
  } catch {
    return Number.NaN
  }
}

/** The floor: `n` bare sockets at once, each connecting and joining a room; ms until the last has its answer. */
async function bareStampede(bench: Bench, n: number): Promise<{ lastMs: number; errors: number }> {
  const sockets: Socket[] = []
  let errors = 0
  const t0 = performance.now()
  const done = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const { socket, connected } = openBare(bench.bareUrl, 60_000)
      sockets.push(socket)
      try {
        await connected
        await joinRoom(socket, `stampede:${Math.floor(i / PER_RECORD)}`)
        return performance.now() - t0
      } catch {
        errors += 1
        return 0
      }
    }),
  )
  closeAll(sockets)
  await waitUntil(async () => (await bench.bare.request<{ clients: number }>('stats')).clients === 0, 10_000, 100)
  await sleep(300)
  return { lastMs: Math.max(...done), errors }
}

export async function b9(bench: Bench): Promise<void> {
  const sizes = bench.quick ? [100, 300] : [500, 4_000]
  const limit = openFilesLimit()
  for (const n of sizes) {
    const name = `stampede of ${n} clients`
    // Each client is one file descriptor here and one in the server process; keep a margin.
    if (Number.isFinite(limit) && n + 500 > limit) {
      notAvailable(bench, 'B9', name, 'time until last knows', '0 errors', `ulimit -n is ${limit} here; ${n} sockets need more and the bench raises nothing`)
      continue
    }
    const records = Math.ceil(n / PER_RECORD)
    progress(`B9: the floor, ${n} bare sockets at once`)
    const floor = await bareStampede(bench, n)
    const app = await startCollab(bench, bench.collab, { posts: records })
    progress(`B9: ${n} clients at once on ${records} records`)
    const overflowsBefore = listenOverflows()
    const sockets: Socket[] = []
    const connectErrors = new Map<string, number>()
    const joinErrors = new Map<string, number>()
    const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1)
    const doneAt: number[] = []
    const connectedAt: number[] = []
    /** The holder each client believes in: its join reply, then any lock:state after it. */
    const seenHolder: Array<string | null | undefined> = new Array(n).fill(undefined)
    const ownTab: string[] = new Array(n).fill('')
    const load = await measureLoad(bench, bench.collab)
    const t0 = performance.now()
    const all = Array.from({ length: n }, async (_, i) => {
      const recordId = app.postIds[Math.floor(i / PER_RECORD)]!
      const { socket, connected } = openCollab(app.url, editorCookie(app.cookies, i), 60_000)
      sockets.push(socket)
      socket.on('lock:state', (state: LockStateEvent) => {
        if (state.recordId === recordId && seenHolder[i] !== undefined) seenHolder[i] = state.lease?.tabId ?? null
      })
      try {
        await connected
        connectedAt.push(performance.now() - t0)
      } catch (error) {
        count(connectErrors, error instanceof Error ? error.message : String(error))
        return
      }
      try {
        const { reply } = await ask<JoinReply>(socket, 'record:join', { ...ref(recordId), tabToken: crypto.randomUUID(), intent: 'edit' }, 60_000)
        if (!reply.ok) return void count(joinErrors, reply.error.code)
        if (!reply.data.lease) return void count(joinErrors, 'join reply without a lease on an edited record')
        ownTab[i] = reply.data.tabId
        if (seenHolder[i] === undefined) seenHolder[i] = reply.data.lease.tabId
        doneAt.push(performance.now() - t0)
      } catch (error) {
        count(joinErrors, error instanceof Error ? error.message : String(error))
      }
    })
    const createdMs = performance.now() - t0 // this process creating the n clients, before any of them runs
    await Promise.all(all)
    const usage = await load()
    const lastMs = doneAt.length ? Math.max(...doneAt) : Number.NaN
    await sleep(500) // lock:state still on its way settles
    const overflows = listenOverflows() - overflowsBefore

    // Every record: the clients that joined agree on one holder, and that holder is one of them
    // (not a tab whose join failed although its claim went through).
    let disagreeing = 0
    let ghostHeld = 0
    for (let r = 0; r < records; r++) {
      const members = Array.from({ length: PER_RECORD }, (_, k) => r * PER_RECORD + k).filter((i) => i < n && ownTab[i])
      if (!members.length) continue
      const views = new Set(members.map((i) => seenHolder[i]))
      if (views.size !== 1) disagreeing += 1
      else if (!members.some((i) => seenHolder[i] === ownTab[i])) ghostHeld += 1
    }
    const errors = [...connectErrors.values(), ...joinErrors.values()].reduce((a, b) => a + b, 0)
    const describe = (map: Map<string, number>) => [...map].map(([message, times]) => `${times}x ${message}`).join('; ')
    const big = n === sizes[sizes.length - 1]
    addRow(bench, {
      id: 'B9',
      name,
      metric: 'time until last knows',
      value: lastMs,
      unit: 'ms',
      floor: floor.lastMs,
      target: big ? '<= 2000 ms' : '',
      met: big ? lastMs <= 2000 && errors === 0 : null,
      ...(big ? { headline: '4,000 tabs at once: last knows' as const } : {}),
      note: `floor: ${n} bare sockets at once, each connecting and getting one room reply (${floor.errors} errors); creating the clients took ${round(createdMs, 0)} ms here; connected p50 ${round(summarize(connectedAt).p50, 0)} ms, last ${round(Math.max(...connectedAt, 0), 0)} ms; knew p50 ${round(summarize(doneAt).p50, 0)} ms; accept-queue overflows (machine-wide) +${overflows}; ${describeLoad(usage)}`,
    })
    const problems = [
      describe(connectErrors),
      describe(joinErrors),
      disagreeing ? `${disagreeing} records whose clients disagree on the holder` : '',
      ghostHeld ? `${ghostHeld} records held by a tab whose join failed` : '',
    ].filter(Boolean)
    addRow(bench, {
      id: 'B9',
      name,
      metric: 'errors',
      value: errors,
      unit: '',
      floor: null,
      target: '0',
      met: errors === 0 && disagreeing === 0 && ghostHeld === 0,
      ...(problems.length ? { note: problems.join('; ') } : {}),
    })
    ;((bench.details.B9 ??= {}) as Record<string, unknown>)[String(n)] = {
      lastMs,
      floor,
      createdMs,
      connected: summarize(connectedAt),
      knew: summarize(doneAt),
      errors,
      connectErrors: Object.fromEntries(connectErrors),
      joinErrors: Object.fromEntries(joinErrors),
      disagreeing,
      ghostHeld,
      listenOverflows: overflows,
      usage,
    }
    await bench.collab.request('stop')
    closeAll(sockets)
    await waitUntil(() => sockets.every((socket) => !socket.connected), 10_000)
    await sleep(300)
  }
}

/**
 * B4: many tabs open one record at the same moment (a link shared in a team chat). N clients are
 * created at once, each connects and joins the record's edit page; for each, the time from its
 * creation until it knows who edits (its join reply names the holder, or a `lock:state` with a
 * holder comes after a reply without one). The floor: N bare sockets created at once, each
 * connecting and getting one room reply (`join`, acknowledged). Rounds of ours and of the floor
 * take turns, each round on a record nobody was on before; the first rounds of each (warm-up) are
 * not counted.
 */
import type { Socket } from 'socket.io-client'
import type { JoinReply, LockStateEvent } from '../../src/protocol.js'
import { addRow, progress, startCollab, type Bench } from '../lib/bench.js'
import { ask, closeAll, editorCookie, joinRoom, openBare, openCollab, ref } from '../lib/clients.js'
import type { Child } from '../lib/child.js'
import { round, sleep, summarize, waitUntil } from '../lib/stats.js'

async function allGone(child: Child): Promise<void> {
  await waitUntil(async () => (await child.request<{ clients: number }>('stats')).clients === 0, 10_000, 50)
  await sleep(100)
}

/** One tab: connect, join with intent edit, resolve when it knows the holder (ms since `openedAt`). */
async function collabTab(url: string, cookie: string, recordId: string, sockets: Socket[]): Promise<number> {
  const openedAt = performance.now()
  const { socket, connected } = openCollab(url, cookie)
  sockets.push(socket)
  let holderSeen: number | undefined
  let waiting: (() => void) | undefined
  socket.on('lock:state', (state: LockStateEvent) => {
    if (state.recordId !== recordId || !state.lease || holderSeen !== undefined) return
    holderSeen = performance.now() - openedAt
    waiting?.()
  })
  await connected
  const { reply } = await ask<JoinReply>(socket, 'record:join', { ...ref(recordId), tabToken: crypto.randomUUID(), intent: 'edit' }, 20_000)
  if (!reply.ok) throw new Error(`record:join: ${reply.error.code}`)
  if (reply.data.lease) return performance.now() - openedAt
  if (holderSeen === undefined) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('join reply without a holder, and no lock:state naming one within 20 s')), 20_000)
      waiting = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }
  return holderSeen!
}

async function bareTab(url: string, room: string, sockets: Socket[]): Promise<number> {
  const openedAt = performance.now()
  const { socket, connected } = openBare(url)
  sockets.push(socket)
  await connected
  await joinRoom(socket, room)
  return performance.now() - openedAt
}

export async function b4(bench: Bench): Promise<void> {
  // A warm-up first, not counted, as B1 warms up: run alone on a fresh server process, B4's p50 was
  // 100 ms with 1 warm-up round (floor 38-40 ms), 80 ms with 15, 46 ms after the rest of the bench.
  // A server that has run a while has connected and joined thousands of times: so first, one tab
  // after another connects and joins (`warmTabs`, on a record of its own), then warm-up rounds.
  const scale = bench.quick ? { tabs: 50, rounds: 3, warm: 1, warmTabs: 0 } : { tabs: 50, rounds: 20, warm: 5, warmTabs: 3_000 }
  const app = await startCollab(bench, bench.collab, { posts: scale.rounds + scale.warm + 2 })
  const warmRecord = app.postIds[scale.rounds + scale.warm + 1]!
  progress(`B4: warming up (${scale.warmTabs} tabs one after another, of ours and of the floor)`)
  for (let i = 0; i < scale.warmTabs; i++) {
    const sockets: Socket[] = []
    await collabTab(app.url, editorCookie(app.cookies, i), warmRecord, sockets)
    await bareTab(bench.bareUrl, 'open:warm', sockets)
    closeAll(sockets)
  }
  if (scale.warmTabs) await Promise.all([allGone(bench.collab), allGone(bench.bare)])
  progress(`B4: ${scale.tabs} tabs open one record at once, ${scale.rounds} rounds (and as many of the floor)`)
  const ours: number[] = []
  const floor: number[] = []
  const oursLast: number[] = []
  const floorLast: number[] = []
  const errors: string[] = []
  for (let r = -scale.warm; r < scale.rounds; r++) {
    const recordId = app.postIds[r + scale.warm]!
    const sockets: Socket[] = []
    const results = await Promise.allSettled(Array.from({ length: scale.tabs }, (_, i) => collabTab(app.url, editorCookie(app.cookies, i), recordId, sockets)))
    closeAll(sockets)
    await allGone(bench.collab)
    const bareSockets: Socket[] = []
    const bare = await Promise.all(Array.from({ length: scale.tabs }, () => bareTab(bench.bareUrl, `open:${r}`, bareSockets)))
    closeAll(bareSockets)
    await allGone(bench.bare)
    if (r < 0) continue
    const known: number[] = []
    for (const result of results) {
      if (result.status === 'fulfilled') known.push(result.value)
      else errors.push(result.reason instanceof Error ? result.reason.message : String(result.reason))
    }
    ours.push(...known)
    floor.push(...bare)
    oursLast.push(Math.max(...known))
    floorLast.push(Math.max(...bare))
  }
  await bench.collab.request('stop')
  const o = summarize(ours)
  const f = summarize(floor)
  const name = `${scale.tabs} tabs open one record at once`
  addRow(bench, {
    id: 'B4',
    name,
    metric: 'connect -> editor known p50',
    value: o.p50,
    unit: 'ms',
    floor: f.p50,
    target: '<= 40 ms',
    met: o.p50 <= 40 && errors.length === 0,
    headline: '50 tabs at once: editor known p50',
    note: `${scale.rounds} rounds of ${scale.tabs}; floor: ${scale.tabs} bare sockets created at once, each connecting and getting one room reply; the last tab of a round knew after ${round(summarize(oursLast).p50, 0)} ms (median round; floor ${round(summarize(floorLast).p50, 0)} ms)`,
  })
  addRow(bench, {
    id: 'B4',
    name,
    metric: 'connect -> editor known p99',
    value: o.p99,
    unit: 'ms',
    floor: f.p99,
    target: '<= 100 ms',
    met: o.p99 <= 100 && errors.length === 0,
    headline: '50 tabs at once: editor known p99',
  })
  addRow(bench, {
    id: 'B4',
    name,
    metric: 'errors',
    value: errors.length,
    unit: '',
    floor: null,
    target: '0',
    met: errors.length === 0,
    ...(errors.length ? { note: `first: ${errors[0]}` } : {}),
  })
  bench.details.B4 = { scale, ours: o, floor: f, oursLast: summarize(oursLast), floorLast: summarize(floorLast), errors: errors.slice(0, 10) }
}

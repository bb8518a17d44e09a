/**
 * B10: mass departure. On each of R records one editor holds the lock, four more viewers will leave
 * with it and two stay; then all leavers (5R) lose their connections at the same instant (TCP cut,
 * no goodbye). Every staying viewer must learn that its record's lock was released (after the
 * reconnect grace) and see a presence list of the two who stayed; the server must end with exactly
 * the stayers connected and Redis with as many connections as before the clients came.
 */
import type { Socket } from 'socket.io-client'
import type { LockStateEvent, PresenceChangedEvent, PresenceStateEvent } from '../../src/protocol.js'
import { applyChanges, applySnapshot, emptyPresence, presentPeople, type PresenceMap } from '../../components/hooks/presence-map.js'
import { addRow, progress, startCollab, type Bench } from '../lib/bench.js'
import { anyCookie, closeAll, connectCollab, connectMany, dropAbruptly, editorCookie, joinPost } from '../lib/clients.js'
import { round, sleep, summarize, waitUntil } from '../lib/stats.js'

export async function b10(bench: Bench): Promise<void> {
  const records = bench.quick ? 20 : 200
  const leaveViewers = 4
  const stay = 2
  const graceMs = 1_000
  await bench.collab.request('stop')
  await sleep(200)
  const withoutServer = await bench.redis.connectedClients()
  const app = await startCollab(bench, bench.collab, { posts: records, extra: { reconnectGraceMs: graceMs } })
  const ids = app.postIds.slice(0, records)
  await sleep(300)
  const idleRedisClients = await bench.redis.connectedClients()

  progress(`B10: ${records} records, ${records * (1 + leaveViewers)} clients to drop, ${records * stay} to stay`)
  const holders = await connectMany(
    records,
    50,
    (i) => connectCollab(app.url, editorCookie(app.cookies, i)),
    async (socket, i) => {
      const joined = await joinPost(socket, ids[i]!, 'edit')
      if (joined.lease?.tabId !== joined.tabId) throw new Error(`B10: holder of ${ids[i]} did not get the lock`)
    },
  )
  const leavers = await connectMany(
    records * leaveViewers,
    100,
    (i) => connectCollab(app.url, anyCookie(app.cookies, i)),
    async (socket, i) => {
      await joinPost(socket, ids[i % records]!, 'show')
    },
  )
  const released: number[] = new Array(records * stay).fill(0)
  // What each stayer's page would show, merged as the page merges it (components/hooks/presence-map.ts).
  const shown: PresenceMap[] = new Array(records * stay).fill(emptyPresence)
  let t0 = 0
  const stayers = await connectMany(
    records * stay,
    100,
    (i) => connectCollab(app.url, anyCookie(app.cookies, i + 1)),
    async (socket, i) => {
      const recordId = ids[i % records]!
      socket.on('lock:state', (state: LockStateEvent) => {
        if (t0 && state.recordId === recordId && state.lease === null && !released[i]) released[i] = performance.now() - t0
      })
      socket.on('presence:state', (state: PresenceStateEvent) => {
        if (state.recordId === recordId) shown[i] = applySnapshot(shown[i]!, state.users, state.revision)
      })
      socket.on('presence:changed', (event: PresenceChangedEvent) => {
        if (event.recordId === recordId) shown[i] = applyChanges(shown[i]!, event.changes)
      })
      const reply = await joinPost(socket, recordId, 'show')
      shown[i] = applySnapshot(shown[i]!, reply.presence, reply.presenceRevision)
    },
  )
  await sleep(500)
  const peakRedisClients = await bench.redis.connectedClients()
  const dropping: Socket[] = [...holders, ...leavers]

  progress(`B10: dropping ${dropping.length} connections at once`)
  t0 = performance.now()
  for (const socket of dropping) dropAbruptly(socket)
  const all = await waitUntil(() => released.every((t) => t > 0), graceMs + 15_000)
  const lastMs = all ? Math.max(...released) : Number.NaN
  const serverCleared = await waitUntil(async () => (await bench.collab.request<{ clients: number }>('stats')).clients === stayers.length, 15_000, 100)
  await sleep(1_000)
  const missed = released.filter((t) => t === 0).length
  const wrongPresence = shown.filter((map) => presentPeople(map).reduce((tabs, user) => tabs + user.tabs, 0) !== stay).length
  const afterRedisClients = await bench.redis.connectedClients()
  const serverClients = (await bench.collab.request<{ clients: number }>('stats')).clients

  const name = `${dropping.length} clients drop at once`
  addRow(bench, {
    id: 'B10',
    name,
    metric: 'releases missed by stayers',
    value: missed,
    unit: '',
    floor: null,
    target: '0',
    met: missed === 0,
    note: `${stayers.length} stayers on ${records} records; reconnectGraceMs ${graceMs}`,
  })
  addRow(bench, {
    id: 'B10',
    name,
    metric: 'time until last learns',
    value: lastMs,
    unit: 'ms',
    floor: graceMs,
    target: '',
    met: null,
    note: `floor column: the reconnect grace every release waits for; learned p50 ${round(summarize(released.filter((t) => t > 0)).p50, 0)} ms`,
  })
  addRow(bench, {
    id: 'B10',
    name,
    metric: 'stale presence lists',
    value: wrongPresence,
    unit: '',
    floor: null,
    target: '0',
    met: wrongPresence === 0,
    note: `server clients after: ${serverClients} (expected ${stayers.length}${serverCleared ? '' : ', NOT reached within 15 s'})`,
  })
  addRow(bench, {
    id: 'B10',
    name,
    metric: 'Redis connected_clients after',
    value: afterRedisClients,
    unit: '',
    floor: idleRedisClients,
    target: '= idle',
    met: afterRedisClients === idleRedisClients,
    note: `idle ${idleRedisClients} (of which the collaboration server process ${idleRedisClients - withoutServer}; the rest: the bench's probe, the bare server), with clients ${peakRedisClients}, after ${afterRedisClients}`,
  })
  bench.details.B10 = {
    records,
    dropped: dropping.length,
    stayers: stayers.length,
    missed,
    lastMs,
    released: summarize(released.filter((t) => t > 0)),
    wrongPresence,
    withoutServer,
    idleRedisClients,
    peakRedisClients,
    afterRedisClients,
    serverClients,
  }
  await bench.collab.request('stop')
  closeAll(stayers)
  closeAll(dropping)
}

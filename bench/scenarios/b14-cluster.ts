/**
 * B14: the store on a Redis Cluster against one Redis, in the same run. A Redis Cluster of three
 * masters, started here (test/support/redis-cluster.mjs) and stopped at the end, is the store of
 * process B (`redis` given as the nodes' URLs; the fixture's login sessions go there too); process A
 * keeps the bench's one redis-server. The same measurements on both, in blocks that take turns, so
 * the machine's noise (two shared cores) hits both alike:
 *
 * - the holder of a record claims it again (`lock:claim`, a renewal: one script), back to back and
 *   each after 100 ms of quiet, as B1 does;
 * - `chat:send` by the first of ten on a record until all ten have the `chat:message`, as B13 does.
 *
 * And where the cluster's broadcasts go: INFO commandstats of every master, XADD (a broadcast
 * appended to its record's stream, src/server/partitioned-streams.ts) and EVALSHA (the store's
 * scripts) per master, around chat on 12 records in turn (spread over the masters: the busiest
 * master's share, against the even 33 %) and around the timed rounds on one record (one stream:
 * about 100 %, which keeps that record's order).
 */
import type { Socket } from 'socket.io-client'
import type { ChatMessage, LockStateEvent } from '../../src/protocol.js'
import { startRedisCluster, type RedisCluster } from '../../test/support/redis-cluster.mjs'
import { addRow, progress, startCollab, type Bench, type CollabApp } from '../lib/bench.js'
import { anyCookie, ask, closeAll, connectCollab, Fanout, joinPost, ref } from '../lib/clients.js'
import { countDelta, RedisProbe, type CommandCounts } from '../lib/redis.js'
import type { Headline } from '../lib/report.js'
import { round, sleep, summarize, type Summary } from '../lib/stats.js'

const IDLE_MS = 100
const PER_RECORD = 10
const MASTERS = 3
/** Records the spread of broadcasts over the masters is measured on. */
const SPREAD_RECORDS = 12
const SIDES = ['single', 'cluster'] as const
type Side = (typeof SIDES)[number]

/** One process's measured sockets: a holder on one record, ten on another for the chat. */
interface Measured {
  holder: Socket
  claimRecord: string
  group: Socket[]
  chatRecord: string
  fan: Fanout
}

async function prepare(app: CollabApp, sockets: Socket[]): Promise<Measured> {
  const [claimRecord, chatRecord] = app.postIds as [string, string]
  const holder = await connectCollab(app.url, app.cookies.alice)
  sockets.push(holder)
  const joined = await joinPost(holder, claimRecord, 'edit')
  if (joined.lease?.tabId !== joined.tabId) throw new Error('B14: the holder did not get the lock')
  const group: Socket[] = []
  for (let j = 0; j < PER_RECORD; j++) {
    const socket = await connectCollab(app.url, j === 0 ? app.cookies.bob : anyCookie(app.cookies, j))
    sockets.push(socket)
    group.push(socket)
    await joinPost(socket, chatRecord, j === 0 ? 'edit' : 'show')
  }
  return { holder, claimRecord, group, chatRecord, fan: new Fanout(group, 'chat:message') }
}

async function claim(side: Measured): Promise<number> {
  const { ms, reply } = await ask<LockStateEvent>(side.holder, 'lock:claim', ref(side.claimRecord))
  if (!reply.ok) throw new Error(`B14 lock:claim: ${JSON.stringify(reply)}`)
  return ms
}

let chats = 0

/** ms until all ten have the message; null when one missed it (counted apart). */
async function chat(side: Measured): Promise<number | null> {
  const text = `b14 ${++chats}`
  const result = await side.fan.measure(
    async () => {
      const sent = await ask<ChatMessage>(side.group[0]!, 'chat:send', { ...ref(side.chatRecord), to: null, text })
      if (!sent.reply.ok) throw new Error(`B14 chat:send: ${sent.reply.error.code}: ${sent.reply.error.message}`)
    },
    (payload) => (payload as ChatMessage).text === text,
    5_000,
  )
  return result.missed ? null : result.lastMs
}

/** Blocks of `block` calls per side taking turns until each has `n`; the first tenth of a block follows the other side's and is not counted. */
async function inBlocks(n: number, block: number, op: (side: Side) => Promise<number | null>): Promise<{ samples: Record<Side, number[]>; missed: number }> {
  const samples: Record<Side, number[]> = { single: [], cluster: [] }
  let missed = 0
  const skip = Math.ceil(block / 10)
  while (samples.cluster.length + missed < n) {
    for (const side of SIDES) {
      for (let i = 0; i < skip; i++) await op(side)
      for (let i = 0; i < block; i++) {
        const ms = await op(side)
        if (ms === null) missed += 1
        else samples[side].push(ms)
      }
    }
  }
  return { samples, missed }
}

async function afterIdle(n: number, op: (side: Side) => Promise<number>): Promise<Record<Side, number[]>> {
  const samples: Record<Side, number[]> = { single: [], cluster: [] }
  for (let i = 0; i < n; i++) {
    for (const side of SIDES) {
      await sleep(IDLE_MS)
      samples[side].push(await op(side))
    }
  }
  return samples
}

export async function b14(bench: Bench): Promise<void> {
  const scale = bench.quick ? { backToBack: 100, idle: 8, block: 25, chats: 20, chatBlock: 5 } : { backToBack: 500, idle: 150, block: 50, chats: 200, chatBlock: 20 }
  let cluster: RedisCluster | undefined
  const sockets: Socket[] = []
  const probes: RedisProbe[] = []
  const fans: Fanout[] = []
  // The bench's watchdog ends the run with process.exit: the nodes must not outlive it.
  const killNodes = () => {
    for (const node of cluster?.nodes ?? []) node.process.kill('SIGKILL')
  }
  process.once('exit', killNodes)
  try {
    progress(`B14: starting a Redis Cluster of ${MASTERS} masters`)
    cluster = await startRedisCluster({ masters: MASTERS })
    const apps = await Promise.all([startCollab(bench, bench.collab, { posts: 3 }), startCollab(bench, bench.peer, { posts: SPREAD_RECORDS, redisUrl: cluster.urls })])
    const measured: Record<Side, Measured> = { single: await prepare(apps[0], sockets), cluster: await prepare(apps[1], sockets) }
    fans.push(measured.single.fan, measured.cluster.fan)
    const claimOn = (side: Side) => claim(measured[side])
    for (const side of SIDES) for (let i = 0; i < 50; i++) await claimOn(side) // warm-up (JIT, connections, slots)
    for (const side of SIDES) for (let i = 0; i < 5; i++) await chat(measured[side])

    progress(`B14: ${scale.backToBack} claims each back to back, in blocks of ${scale.block} taking turns`)
    const hot = (await inBlocks(scale.backToBack, scale.block, claimOn)).samples
    progress(`B14: ${scale.idle} claims each after ${IDLE_MS} ms idle (about ${Math.round((scale.idle * SIDES.length * IDLE_MS) / 1000)} s)`)
    const idle = await afterIdle(scale.idle, claimOn)

    progress(`B14: ${scale.chats} chat messages each to the ${PER_RECORD} on a record, in blocks of ${scale.chatBlock} taking turns`)
    const masterPorts = await cluster.masterPorts()
    probes.push(...masterPorts.map((port) => new RedisProbe(`redis://127.0.0.1:${port}`)))
    const before = await Promise.all(probes.map((probe) => probe.commandCounts()))
    let clusterChats = 0
    const chatRounds = await inBlocks(scale.chats, scale.chatBlock, (side) => {
      if (side === 'cluster') clusterChats += 1
      return chat(measured[side])
    })
    const after = await Promise.all(probes.map((probe) => probe.commandCounts()))
    const oneRecord: CommandCounts[] = after.map((counts, i) => countDelta(before[i]!, counts))

    // Broadcasts about many records: each record's go to its own stream (broadcastStreams, 16 on a
    // Cluster), the streams spread over the masters. One sender on the cluster's process, on
    // SPREAD_RECORDS records, chat on each in turn (acknowledged, nobody else needs to listen: every
    // broadcast is appended whether or not another process has sockets in the room).
    const sender = await connectCollab(apps[1].url, apps[1].cookies.carol)
    sockets.push(sender)
    const spreadRecords = apps[1].postIds.slice(0, SPREAD_RECORDS)
    for (const recordId of spreadRecords) await joinPost(sender, recordId, 'show')
    const spreadBefore = await Promise.all(probes.map((probe) => probe.commandCounts()))
    const spreadChats = scale.chats
    for (let n = 0; n < spreadChats; n++) {
      const sent = await ask<ChatMessage>(sender, 'chat:send', { ...ref(spreadRecords[n % spreadRecords.length]!), to: null, text: `b14 spread ${n}` })
      if (!sent.reply.ok) throw new Error(`B14 chat:send (spread): ${sent.reply.error.code}`)
    }
    const spreadAfter = await Promise.all(probes.map((probe) => probe.commandCounts()))
    const perMaster: CommandCounts[] = spreadAfter.map((counts, i) => countDelta(spreadBefore[i]!, counts))

    const s = (samples: Record<Side, number[]>) => ({ single: summarize(samples.single), cluster: summarize(samples.cluster) })
    const h = s(hot)
    const q = s(idle)
    const c = s(chatRounds.samples)
    const ms = (value: number) => `${round(value, 2)} ms`
    const both = (x: Record<Side, Summary>) =>
      `cluster p50 ${ms(x.cluster.p50)} / p99 ${ms(x.cluster.p99)}, one Redis p50 ${ms(x.single.p50)} / p99 ${ms(x.single.p99)}; n ${x.cluster.n} each`
    const claimNote = (x: Record<Side, Summary>) =>
      `process B on a Redis Cluster of ${MASTERS} masters (started by B14, no replicas), floor: process A on the bench's one redis-server, the same claims by a record's holder (a renewal, one script), in blocks taking turns; ${both(x)}`
    const name = `claim round trip, Redis Cluster of ${MASTERS}`
    const row = (rowName: string, metric: string, x: Record<Side, Summary>, p: 'p50' | 'p99', headline?: Headline, note?: string) =>
      addRow(bench, {
        id: 'B14',
        name: rowName,
        metric: `${metric} ${p}`,
        value: x.cluster[p],
        unit: 'ms',
        floor: x.single[p],
        target: '',
        met: null,
        ...(note ? { note } : {}),
        ...(headline ? { headline } : {}),
      })
    // The condition in the metric too: the notes name a row by id and metric only.
    row(name, 'lock:claim back to back', h, 'p50', 'claim p50 back to back on a Redis Cluster of 3', claimNote(h))
    row(name, 'lock:claim back to back', h, 'p99', 'claim p99 back to back on a Redis Cluster of 3')
    row(name, `lock:claim after ${IDLE_MS} ms idle`, q, 'p50', 'claim p50 after 100 ms idle on a Redis Cluster of 3', claimNote(q))
    row(name, `lock:claim after ${IDLE_MS} ms idle`, q, 'p99', 'claim p99 after 100 ms idle on a Redis Cluster of 3')
    const chatName = `chat to the ${PER_RECORD} on a record, Redis Cluster of ${MASTERS}`
    row(
      chatName,
      `chat to the ${PER_RECORD}`,
      c,
      'p50',
      undefined,
      `chat:send by the first of the ${PER_RECORD} until all ${PER_RECORD} have the chat:message (one process: delivered before the adapter's XADD is answered), floor: the same on process A on one Redis, in blocks taking turns; ${both(c)}; missed ${chatRounds.missed}`,
    )
    row(chatName, `chat to the ${PER_RECORD}`, c, 'p99')

    const share = (counts: CommandCounts[]) => {
      const xadds = counts.map((c) => c.xadd ?? 0)
      const total = xadds.reduce((sum, n) => sum + n, 0)
      return total ? round((100 * Math.max(...xadds)) / total, 1) : null
    }
    const listing = (counts: CommandCounts[]) =>
      masterPorts.map((port, i) => `:${port} xadd ${counts[i]!.xadd ?? 0}, evalsha ${counts[i]!.evalsha ?? 0}, xread ${counts[i]!.xread ?? 0}`).join('; ')
    addRow(bench, {
      id: 'B14',
      name: `broadcasts on the Redis Cluster of ${MASTERS}`,
      metric: `XADDs on the busiest master, ${SPREAD_RECORDS} records`,
      value: share(perMaster),
      unit: '%',
      floor: null,
      target: '',
      met: null,
      note: `INFO commandstats of each master around ${spreadChats} chat messages by one sender on ${SPREAD_RECORDS} records in turn (each one broadcast, plus whatever the heartbeat broadcast meanwhile): ${listing(perMaster)}; an even spread would be ${round(100 / MASTERS, 1)} %; xadd is a broadcast appended to its record's stream (broadcastStreams), evalsha the store's scripts, xread the adapter's readers`,
    })
    addRow(bench, {
      id: 'B14',
      name: `broadcasts on the Redis Cluster of ${MASTERS}`,
      metric: 'XADDs on the busiest master, one record',
      value: share(oneRecord),
      unit: '%',
      floor: null,
      target: '',
      met: null,
      note: `the same around the ${clusterChats} chat messages of the timed rounds, all on one record: one record's broadcasts share one stream (their order is kept), so about 100 % is expected: ${listing(oneRecord)}`,
    })
    bench.details.B14 = {
      scale,
      idleMs: IDLE_MS,
      masters: MASTERS,
      backToBack: h,
      idle: q,
      chat: c,
      chatMissed: chatRounds.missed,
      clusterChats,
      masterPorts,
      oneRecord,
      perMaster,
      spreadChats,
    }
  } finally {
    for (const fan of fans) fan.dispose()
    closeAll(sockets)
    for (const probe of probes) probe.close()
    // The apps first, so nothing still talks to the nodes as they go.
    await Promise.all([bench.collab.request('stop').catch(() => undefined), bench.peer.request('stop').catch(() => undefined)])
    await cluster?.stop()
    process.off('exit', killNodes)
  }
}

/**
 * B8: Redis round trips per operation, counted with MONITOR on the bench's own redis-server: every
 * command a client sends, without those that Lua scripts run inside Redis (no round trips) and
 * without the bench's own. Scripts (EVALSHA, or EVAL the first time) are the store's; XADD/XREAD
 * are the Socket.IO adapter's broadcasts between processes.
 *
 * Per claim/join/leave/chat: K sockets do the operation once each, with the timers far away
 * (heartbeatIntervalMs 60 s). Per heartbeat: with heartbeatIntervalMs 250 ms, commands are grouped
 * into timer ticks (bursts with quiet in between), first with K viewers on K records (presence
 * renewal only), then with an editor holding each record's lock too; the difference is the leases.
 */
import type { Socket } from 'socket.io-client'
import type { ChatMessage, LockStateEvent } from '../../src/protocol.js'
import { addRow, progress, startCollab, type Bench } from '../lib/bench.js'
import { anyCookie, ask, closeAll, connectCollab, editorCookie, joinPost, ref } from '../lib/clients.js'
import { countDelta, countEvents, scriptCalls, total, type CommandCounts, type MonitorEvent } from '../lib/redis.js'
import { round, sleep } from '../lib/stats.js'

function describe(counts: CommandCounts, per: number): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([command, calls]) => `${command} ${round(calls / per, 2)}`)
    .join(', ')
}

interface PerOp {
  counts: CommandCounts
  /** Every command, per operation. */
  total: number
  /** EVALSHA + EVAL, per operation. */
  scripts: number
  /** INFO commandstats delta per operation: Redis 7 counts the commands scripts run inside it too. */
  inside?: number
}

function perOp(counts: CommandCounts, per: number): PerOp {
  return { counts, total: total(counts) / per, scripts: scriptCalls(counts) / per }
}

/** Commands while `action` runs and the server settles, per `per` operations. XREAD (the adapter's idle polling) is left out. */
async function countDuring(bench: Bench, per: number, action: () => Promise<unknown>): Promise<PerOp> {
  const monitor = await bench.redis.monitor()
  await sleep(50)
  const from = monitor.events.length
  const statsBefore = await bench.redis.commandCounts()
  await action()
  await sleep(300)
  const statsAfter = await bench.redis.commandCounts()
  const events = monitor.events.slice(from).filter((event) => event.command !== 'xread')
  monitor.stop()
  const stats = countDelta(statsBefore, statsAfter)
  delete stats.xread
  return { ...perOp(countEvents(events), per), inside: total(stats) / per }
}

/** Timer ticks seen over `ms`: groups of commands more than `gapMs` apart; the first and last (maybe partial) dropped. */
async function ticks(bench: Bench, ms: number, gapMs = 60): Promise<{ per: PerOp; ticks: number }> {
  const monitor = await bench.redis.monitor()
  await sleep(ms)
  monitor.stop()
  const events = monitor.events.filter((event) => event.command !== 'xread').sort((a, b) => a.atMs - b.atMs)
  const groups: MonitorEvent[][] = []
  for (const event of events) {
    const last = groups[groups.length - 1]
    const previous = last?.[last.length - 1]
    if (last && previous && event.atMs - previous.atMs < gapMs) last.push(event)
    else groups.push([event])
  }
  const whole = groups.slice(1, -1)
  return { per: perOp(countEvents(whole.flat()), Math.max(1, whole.length)), ticks: whole.length }
}

export async function b8(bench: Bench): Promise<void> {
  const k = bench.quick ? 20 : 100
  const details: Record<string, unknown> = { k }

  progress(`B8: Redis commands per operation (${k} of each)`)
  const app = await startCollab(bench, bench.collab, { posts: k, extra: { heartbeatIntervalMs: 60_000, lockTtlMs: 300_000 } })
  const sockets: Socket[] = await Promise.all(Array.from({ length: k }, (_, i) => connectCollab(app.url, editorCookie(app.cookies, i))))
  const records = app.postIds.slice(0, k)
  const each = (action: (socket: Socket, recordId: string) => Promise<unknown>) => () => Promise.all(sockets.map((socket, i) => action(socket, records[i]!)))
  const ok = async (pending: Promise<{ reply: { ok: boolean } }>) => {
    const { reply } = await pending
    if (!reply.ok) throw new Error(`B8: ${JSON.stringify(reply)}`)
  }

  const ops: Array<{ metric: string; targeted: boolean; result: PerOp }> = []
  ops.push({
    metric: 'record:join edit (grant)',
    targeted: false,
    result: await countDuring(
      bench,
      k,
      each((socket, id) => joinPost(socket, id, 'edit')),
    ),
  })
  ops.push({
    metric: 'lock:claim (renewal)',
    targeted: true,
    result: await countDuring(
      bench,
      k,
      each((socket, id) => ok(ask<LockStateEvent>(socket, 'lock:claim', ref(id)))),
    ),
  })
  ops.push({
    metric: 'record:leave (release)',
    targeted: false,
    result: await countDuring(
      bench,
      k,
      each((socket, id) => ok(ask(socket, 'record:leave', ref(id)))),
    ),
  })
  // A claim that grants, as a waiting editor's page makes it: joined (edit) while another tab held
  // the record, that tab has left, now it claims.
  const waiting: Socket[] = await Promise.all(Array.from({ length: k }, (_, i) => connectCollab(app.url, editorCookie(app.cookies, i + 1))))
  await each((socket, id) => joinPost(socket, id, 'edit'))()
  await Promise.all(waiting.map((socket, i) => joinPost(socket, records[i]!, 'edit')))
  await each((socket, id) => ok(ask(socket, 'record:leave', ref(id))))()
  await sleep(200)
  ops.push({
    metric: 'lock:claim (grant)',
    // Its target (1 round trip on the claim's path) is measured in b8-grant-path.ts.
    targeted: false,
    result: await countDuring(bench, k, () => Promise.all(waiting.map((socket, i) => ok(ask<LockStateEvent>(socket, 'lock:claim', ref(records[i]!)))))),
  })
  await each((socket, id) => joinPost(socket, id, 'show'))()
  const chat = await ask<ChatMessage>(sockets[0]!, 'chat:send', { ...ref(records[0]!), to: null, text: 'probe' })
  if (chat.reply.ok) {
    ops.push({
      metric: 'chat:send (to the record)',
      targeted: false,
      result: await countDuring(
        bench,
        k,
        each((socket, id) => ok(ask<ChatMessage>(socket, 'chat:send', { ...ref(id), to: null, text: 'hello' }))),
      ),
    })
  }
  for (const { metric, targeted, result } of ops) {
    addRow(bench, {
      id: 'B8',
      name: 'Redis round trips',
      metric: `per ${metric}: scripts`,
      value: result.scripts,
      unit: '',
      floor: null,
      target: targeted ? '1' : '',
      met: targeted ? result.scripts <= 1 : null,
      note: `all commands ${round(result.total, 2)}: ${describe(result.counts, k) || 'none'}; INFO commandstats, which also counts what scripts run inside Redis: ${round(result.inside ?? Number.NaN, 1)}`,
    })
    if (targeted) {
      addRow(bench, {
        id: 'B8',
        name: 'Redis round trips',
        metric: `per ${metric}: all commands`,
        value: result.total,
        unit: '',
        floor: null,
        target: '1',
        met: result.total <= 1,
      })
    }
  }
  details.operations = ops
  await bench.collab.request('stop')
  closeAll([...sockets, ...waiting])

  progress('B8: Redis commands per heartbeat tick (heartbeatIntervalMs 250)')
  const hb = await startCollab(bench, bench.collab, { posts: k, extra: { heartbeatIntervalMs: 250 } })
  const hbRecords = hb.postIds.slice(0, k)
  const viewers: Socket[] = await Promise.all(Array.from({ length: k }, (_, i) => connectCollab(hb.url, anyCookie(hb.cookies, i))))
  await Promise.all(viewers.map((socket, i) => joinPost(socket, hbRecords[i]!, 'show')))
  await sleep(300)
  const window = bench.quick ? 1_300 : 3_000
  const presenceOnly = await ticks(bench, window)
  const editors: Socket[] = await Promise.all(Array.from({ length: k }, (_, i) => connectCollab(hb.url, editorCookie(hb.cookies, i))))
  await Promise.all(editors.map((socket, i) => joinPost(socket, hbRecords[i]!, 'edit')))
  await sleep(300)
  const withLeases = await ticks(bench, window)
  const leaseScripts = (withLeases.per.scripts - presenceOnly.per.scripts) / k
  const leaseTotal = (withLeases.per.total - presenceOnly.per.total) / k
  addRow(bench, {
    id: 'B8',
    name: 'Redis round trips',
    metric: 'per lease heartbeat: scripts',
    value: leaseScripts,
    unit: '',
    floor: null,
    target: '1',
    met: withLeases.ticks > 0 && leaseScripts <= 1,
    note: `${withLeases.ticks} ticks of ${k} leases + ${k} records' presence: ${describe(withLeases.per.counts, Math.max(1, withLeases.ticks) * k)} per record and tick`,
  })
  addRow(bench, {
    id: 'B8',
    name: 'Redis round trips',
    metric: 'per lease heartbeat: all commands',
    value: leaseTotal,
    unit: '',
    floor: null,
    target: '1',
    met: withLeases.ticks > 0 && leaseTotal <= 1,
  })
  addRow(bench, {
    id: 'B8',
    name: 'Redis round trips',
    metric: 'per record presence renewal',
    value: presenceOnly.per.total / k,
    unit: '',
    floor: null,
    target: '',
    met: null,
    note: `${presenceOnly.ticks} ticks of ${k} records with one viewer each: ${describe(presenceOnly.per.counts, Math.max(1, presenceOnly.ticks) * k)}`,
  })
  details.heartbeat = { presenceOnly, withLeases, leaseScripts, leaseTotal }
  await bench.collab.request('stop')
  closeAll([...viewers, ...editors])
  bench.details.B8 = details
}

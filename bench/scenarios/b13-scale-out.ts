/**
 * B13: scale out (issue 15). Socket-tier processes of their own (`collaboration.listen`,
 * bench/socket-server.ts) sharing the bench's Redis under one key prefix, with N sockets spread
 * over them (ten per record, each record's ten spread over the processes, the first of each joined
 * with intent edit and holding the lock, the other nine show), held by client processes of their
 * own (bench/load-clients.ts). Under that load, measured from the bench's own process (one clock):
 *  - the lock:claim round trip of a holder claiming its record again (a renewal), p50 / p99;
 *  - a chat message on one record until all ten on it have it (the sender's own process and the
 *    other processes, through the Redis streams adapter), p50 / p99.
 * The same measurements first on one attached process (process A, the admin's own socket server)
 * with only the measured sockets, then on the tier before the load connects: the ratio of the
 * loaded tier to that single process is the row's; the unloaded tier is its own row, so the cost
 * of being several processes and the cost of the load can be told apart. Also: Redis commands per
 * second while the load only idles (leases and presence renewed every heartbeat), and the CPU of
 * each process while measuring.
 *
 * Tokens: issued here with the tier's shared secret (src/server/socket-token.ts, as the admin's
 * token endpoint does) for sessions logged in on a tier process's admin, which the shared session
 * store holds for every process.
 */
import os from 'node:os'
import type { Socket } from 'socket.io-client'
import type { ChatMessage, JoinIntent } from '../../src/protocol.js'
import { issueToken } from '../../src/server/socket-token.js'
import type { LoadConnectArgs, LoadSession } from '../load-clients.js'
import type { TierStartArgs, TierStarted } from '../socket-server.js'
import { addRow, progress, startCollab, type Bench } from '../lib/bench.js'
import { Child, type LoadSample } from '../lib/child.js'
import { anyCookie, ask, closeAll, connectCollab, editorCookie, Fanout, joinPost, loginAll, openWithToken, ref, USERS, type Cookies } from '../lib/clients.js'
import { countDelta, scriptCalls, total } from '../lib/redis.js'
import { round, sleep, summarize, type Summary } from '../lib/stats.js'
import { fileURLToPath } from 'node:url'
import { openFilesLimit } from './b9-stampede.js'

const PER_RECORD = 10
/** The servers' default heartbeatIntervalMs (the bench does not change it for B13). */
const HEARTBEAT_MS = 10_000
const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url))
const TIER_SCRIPT = new URL('../socket-server.ts', import.meta.url)
const CLIENT_SCRIPT = new URL('../load-clients.ts', import.meta.url)

interface Figures {
  claim: Summary
  chatLast: Summary
  chatFirst: Summary
  missed: number
  claimErrors: number
  /** Date.now() at each counted sample's start, and its ms: to see whether the slow ones follow the heartbeat. */
  claimSamples: Array<[number, number]>
  chatSamples: Array<[number, number]>
}

/** Claims by the holders, then chat rounds to each measured record's ten; the first tenth of each not counted. */
async function measure(
  holders: Socket[],
  groups: Socket[][],
  recordIds: string[],
  rounds: { claims: number; chats: number; claimGapMs: number; chatGapMs: number },
  tag: string,
): Promise<Figures> {
  const claims: number[] = []
  let claimErrors = 0
  const skip = Math.ceil(rounds.claims / 10)
  const claimSamples: Array<[number, number]> = []
  const chatSamples: Array<[number, number]> = []
  for (let i = 0; i < rounds.claims + skip; i++) {
    const k = i % holders.length
    const at = Date.now()
    const { ms, reply } = await ask(holders[k]!, 'lock:claim', ref(recordIds[k]!))
    if (!reply.ok) claimErrors += 1
    else if (i >= skip) {
      claims.push(ms)
      claimSamples.push([at, ms])
    }
    await sleep(rounds.claimGapMs)
  }
  const fans = groups.map((group) => new Fanout(group, 'chat:message'))
  const last: number[] = []
  const first: number[] = []
  let missed = 0
  const chatSkip = Math.ceil(rounds.chats / 10)
  try {
    for (let i = 0; i < rounds.chats + chatSkip; i++) {
      const k = i % groups.length
      const text = `b13 ${tag} ${i}`
      const at = Date.now()
      const result = await fans[k]!.measure(
        async () => {
          const sent = await ask<ChatMessage>(groups[k]![0]!, 'chat:send', { ...ref(recordIds[k]!), to: null, text })
          if (!sent.reply.ok) throw new Error(`B13: chat:send: ${sent.reply.error.code}: ${sent.reply.error.message}`)
        },
        (payload) => (payload as ChatMessage).text === text,
        5_000,
      )
      if (i < chatSkip) continue
      missed += result.missed
      if (!Number.isNaN(result.lastMs)) {
        last.push(result.lastMs)
        chatSamples.push([at, result.lastMs])
      }
      if (result.latencies.length) first.push(Math.min(...result.latencies))
      await sleep(rounds.chatGapMs)
    }
  } finally {
    for (const fan of fans) fan.dispose()
  }
  return { claim: summarize(claims), chatLast: summarize(last), chatFirst: summarize(first), missed, claimErrors, claimSamples, chatSamples }
}

/**
 * The slow samples (over 5x the median and 20 ms) and how long after the latest heartbeat tick of
 * any tier process each started: every process renews all its leases and presence at once each
 * `heartbeatIntervalMs`, on timers started as it listened. Spread evenly, samples would start on
 * average interval / (2 x processes) after the latest tick.
 */
function afterTicks(samples: Array<[number, number]>, timersAt: number[], intervalMs: number): string {
  const median = summarize(samples.map(([, ms]) => ms)).p50
  const slow = samples.filter(([, ms]) => ms > Math.max(5 * median, 20))
  const after = slow.map(([at]) => Math.min(...timersAt.map((t0) => (((at - t0) % intervalMs) + intervalMs) % intervalMs))).sort((x, y) => x - y)
  if (!after.length) return `no slow samples (over 5x the median and 20 ms) of ${samples.length}`
  return `${slow.length} of ${samples.length} samples over 5x the median and 20 ms; they started ${after.map((ms) => round(ms, 0)).join(', ')} ms after the latest heartbeat tick of a tier process (evenly spread: ${round(intervalMs / (2 * timersAt.length), 0)} ms on average)`
}

/** The session id in an express-session cookie `name=s%3A<id>.<signature>`. */
function sessionIdOf(cookie: string): string {
  return decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))
    .slice(2)
    .split('.')[0]!
}

/** CPU (% of one core) of each child over a window, and of redis-server. */
async function cpuWindow(bench: Bench, children: Child[]): Promise<() => Promise<{ percents: number[]; redis: number; loopP99: number[] }>> {
  const redisCpu = async () => {
    const cpu = await bench.redis.info('cpu')
    return (Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys)) * 1000
  }
  const before = await Promise.all(children.map((child) => child.request<LoadSample>('load', { reset: true })))
  const redis0 = await redisCpu()
  const t0 = performance.now()
  return async () => {
    const elapsed = performance.now() - t0
    const after = await Promise.all(children.map((child) => child.request<LoadSample>('load')))
    return {
      percents: after.map((sample, i) => round((100 * (sample.cpuMs - before[i]!.cpuMs)) / elapsed, 0)),
      redis: round((100 * ((await redisCpu()) - redis0)) / elapsed, 0),
      loopP99: after.map((sample) => round(sample.loopDelay.p99, 1)),
    }
  }
}

const loadAverage = () => os.loadavg().map((value) => round(value, 2))

export async function b13(bench: Bench): Promise<void> {
  const planned = bench.quick
    ? { processes: 2, records: 40, clientProcesses: 1, measured: 4, claims: 60, chats: 20, claimGapMs: 10, chatGapMs: 30, idleMs: 2_000 }
    : { processes: 4, records: 4_000, clientProcesses: 4, measured: 8, claims: 300, chats: 100, claimGapMs: 40, chatGapMs: 100, idleMs: 20_000 }
  // Each socket is a file descriptor in a client process and one in a tier process; the bench
  // raises no limit: more client processes if one cannot hold its share, fewer sockets if the tier
  // processes cannot (said in the rows).
  const limit = openFilesLimit()
  const margin = 1_000
  let records = planned.records
  let clientProcesses = planned.clientProcesses
  let limited = ''
  if (Number.isFinite(limit)) {
    const perTier = Math.max(1, limit - margin)
    if ((records * PER_RECORD) / planned.processes > perTier) {
      records = Math.floor((perTier * planned.processes) / PER_RECORD)
      limited = `; ulimit -n ${limit}: ${records * PER_RECORD} sockets instead of ${planned.records * PER_RECORD}`
    }
    clientProcesses = Math.max(clientProcesses, Math.ceil((records * PER_RECORD) / perTier))
  }
  const totalSockets = records * PER_RECORD
  const name = `${totalSockets} sockets on ${planned.processes} socket processes, ${records} records`
  const secret = `bench ${bench.runId} tier secret`
  const prefix = `bench:${bench.runId}:b13:`
  // Spaced so that each series spans more than one heartbeat (10 s): every process renews all its
  // leases and presence entries at once each heartbeat, and a series shorter than that would catch
  // that burst or not by luck.
  const rounds = { claims: planned.claims, chats: planned.chats, claimGapMs: planned.claimGapMs, chatGapMs: planned.chatGapMs }
  const benchSockets: Socket[] = []
  const tiers: Child[] = []
  const clients: Child[] = []

  try {
    // 1. One attached process (A, the admin's own socket server), only the measured sockets.
    progress(`B13: one attached process, ${planned.measured} records x ${PER_RECORD} sockets`)
    const a = await startCollab(bench, bench.collab, { posts: planned.measured })
    const single = await measuredGroups(planned.measured, a.postIds, (i, j) => connectCollab(a.url, j === 0 ? editorCookie(a.cookies, i) : anyCookie(a.cookies, i)))
    benchSockets.push(...single.groups.flat())
    const singleLoad = await cpuWindow(bench, [bench.collab])
    const one = await measure(single.holders, single.groups, single.recordIds, rounds, 'single')
    const oneCpu = await singleLoad()
    const loadSingle = loadAverage()
    closeAll(benchSockets.splice(0))
    await bench.collab.request('stop')

    // 2. The socket tier, before the load.
    progress(`B13: ${planned.processes} socket processes (listen) on one Redis prefix, each with ${records} posts`)
    const started = await Promise.all(
      Array.from({ length: planned.processes }, async (_, i) => {
        const child = await Child.start(`tier-${i}`, TIER_SCRIPT, `${RESULTS_DIR}tier-${i}.log`)
        tiers.push(child)
        const args: TierStartArgs = { redisUrl: bench.redisUrl, collaboration: { ...bench.overrides, redisKeyPrefix: prefix }, tokenSecret: secret, extraPosts: records }
        return child.request<TierStarted>('start', args, 180_000)
      }),
    )
    const urls = started.map((tier) => tier.url)
    const timersAt = started.map((tier) => tier.timersAtMs)
    const postIds = started[0]!.postIds
    // The logins go to a tier process's admin; the session store is the one every process reads.
    const cookies: Cookies = await loginAll(started[0]!.adminUrl)
    const sessions: LoadSession[] = (Object.keys(USERS) as Array<keyof Cookies>).map((user) => ({ sessionId: sessionIdOf(cookies[user]), userId: user }))
    const editorSession = (i: number) => i % 3 // alice, bob, carol: the first three
    const anySession = (i: number) => i % 4
    const tierSocket = async (url: string, session: LoadSession) => {
      const { socket, connected } = openWithToken(url, issueToken(session, secret, 60_000).token)
      await connected
      return socket
    }
    // The measured records' ten, spread over the processes as every record's are (socket j on process j mod P).
    const tier = await measuredGroups(planned.measured, postIds, (i, j) => tierSocket(urls[j % urls.length]!, sessions[j === 0 ? 0 : anySession(i)]!))
    benchSockets.push(...tier.groups.flat())
    progress(`B13: measuring on the tier before the load`)
    const quietLoad = await cpuWindow(bench, tiers)
    const quiet = await measure(tier.holders, tier.groups, tier.recordIds, rounds, 'quiet')
    const quietCpu = await quietLoad()

    // 3. The load: every other record's ten, on client processes of their own.
    const loadRecords = postIds.slice(planned.measured, records)
    const assignments: LoadConnectArgs['sockets'] = []
    loadRecords.forEach((recordId, r) => {
      for (let j = 0; j < PER_RECORD; j++) {
        const intent: JoinIntent = j === 0 ? 'edit' : 'show'
        assignments.push([(r + j) % urls.length, recordId, intent, j === 0 ? editorSession(r) : anySession(r + j)])
      }
    })
    progress(`B13: ${assignments.length} load sockets from ${clientProcesses} client processes (+ ${benchSockets.length} measured here)`)
    clients.push(...(await Promise.all(Array.from({ length: clientProcesses }, (_, i) => Child.start(`clients-${i}`, CLIENT_SCRIPT, `${RESULTS_DIR}clients-${i}.log`)))))
    const connectStarted = performance.now()
    const connected = await Promise.all(
      clients.map((child, c) =>
        child.request<{ joined: number; errors: number; firstError: string | null; retries: number; ms: number }>(
          'connect',
          { urls, secret, sessions, sockets: assignments.filter((_, i) => i % clients.length === c), concurrency: 25 } satisfies LoadConnectArgs,
          600_000,
        ),
      ),
    )
    const connectMs = performance.now() - connectStarted
    const joined = connected.reduce((sum, c) => sum + c.joined, 0)
    const errors = connected.reduce((sum, c) => sum + c.errors, 0)
    const retries = connected.reduce((sum, c) => sum + c.retries, 0)
    const perTier = await Promise.all(tiers.map((child) => child.request<{ clients: number }>('stats')))
    progress(
      `B13: ${joined} joined in ${round(connectMs / 1000, 1)} s, ${errors} errors, ${retries} retried${errors ? ` (first: ${connected.find((c) => c.firstError)?.firstError})` : ''}; per process ${perTier.map((t) => t.clients).join(' / ')}`,
    )

    // Redis while the load only idles: one heartbeat's worth of renewals (leases, presence).
    await sleep(1_000)
    const counts0 = await bench.redis.commandCounts()
    const idleCpu = await cpuWindow(bench, [...tiers, ...clients])
    const idle0 = performance.now()
    await sleep(planned.idleMs)
    const idleSeconds = (performance.now() - idle0) / 1000
    // Scripts are one round trip each; commandstats also counts the commands a script calls inside.
    const idleCounts = countDelta(counts0, await bench.redis.commandCounts())
    const scriptsPerSecond = scriptCalls(idleCounts) / idleSeconds
    const commandsPerSecond = total(idleCounts) / idleSeconds
    const topCommands = Object.entries(idleCounts)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 8)
      .map(([command, calls]) => `${command} ${round(calls / idleSeconds, 0)}`)
      .join(', ')
    const idle = await idleCpu()
    const heaps = await Promise.all(tiers.map((child) => child.request<{ heapUsed: number; rss: number; clients: number }>('heap')))

    progress(`B13: measuring on the tier under the load`)
    const loadedLoad = await cpuWindow(bench, [...tiers, ...clients])
    const loaded = await measure(tier.holders, tier.groups, tier.recordIds, rounds, 'loaded')
    const loadedCpu = await loadedLoad()
    const loadLoaded = loadAverage()
    const still = await Promise.all(clients.map((child) => child.request<{ open: number; disconnects: number }>('stats')))
    const dropped = still.reduce((sum, s) => sum + s.disconnects, 0)

    const P = planned.processes
    const shape = `${P} socket processes (listen) on one Redis; ${joined + benchSockets.length} sockets (${perTier.map((t) => t.clients).join(' / ')} per process), ten per record on ${records} records, each record's ten spread over the processes, one holder (edit) and nine viewers (show) per record; load held by ${clientProcesses} client processes${limited}`
    const cpuText = (c: { percents: number[]; redis: number; loopP99: number[] }, names: string) => `CPU % of a core: ${names} ${c.percents.join(' / ')}, redis ${c.redis}`
    addRow(bench, {
      id: 'B13',
      name,
      metric: 'lock:claim p50 (renewal)',
      value: loaded.claim.p50,
      unit: 'ms',
      floor: one.claim.p50,
      target: '',
      met: null,
      headline: `claim p50, 40,000 sockets on 4 processes`,
      note: `${shape}. The holder of a record claims it again (lock:claim, one at a time, ${rounds.claimGapMs} ms apart, ${rounds.claims} counted). Floor: the same claims on one attached process (A) with only the ${planned.measured * PER_RECORD} measured sockets, earlier in this run (p50 ${round(one.claim.p50)} / p99 ${round(one.claim.p99)} ms, load average ${loadSingle.join(' ')}); under the load: load average ${loadLoaded.join(' ')}; CPU % of a core: tiers ${loadedCpu.percents.slice(0, P).join(' / ')}, clients ${loadedCpu.percents.slice(P).join(' / ')}, redis ${loadedCpu.redis}; tier event-loop delay p99 ${loadedCpu.loopP99.slice(0, P).join(' / ')} ms; claim errors ${loaded.claimErrors}; ${afterTicks(loaded.claimSamples, timersAt, HEARTBEAT_MS)}`,
    })
    addRow(bench, {
      id: 'B13',
      name,
      metric: 'lock:claim p99 (renewal)',
      value: loaded.claim.p99,
      unit: 'ms',
      floor: one.claim.p99,
      target: '',
      met: null,
      headline: 'claim p99, 40,000 sockets on 4 processes',
    })
    addRow(bench, {
      id: 'B13',
      name,
      metric: 'chat to the 10 on a record p50',
      value: loaded.chatLast.p50,
      unit: 'ms',
      floor: one.chatLast.p50,
      target: '',
      met: null,
      headline: 'chat to a record of 10 on 4 processes p50',
      note: `chat:send by the holder until all ten on the record have the chat:message (the sender's own process at once, the others through the Redis streams adapter's one stream), ${rounds.chatGapMs} ms apart, ${rounds.chats} counted. Floor: the same on one attached process with all ten on it (p50 ${round(one.chatLast.p50)} / p99 ${round(one.chatLast.p99)} ms); first of the ten p50 ${round(loaded.chatFirst.p50)} ms (one process: ${round(one.chatFirst.p50)}); missed ${loaded.missed} (one process ${one.missed}); ${afterTicks(loaded.chatSamples, timersAt, HEARTBEAT_MS)}`,
    })
    addRow(bench, {
      id: 'B13',
      name,
      metric: 'chat to the 10 on a record p99',
      value: loaded.chatLast.p99,
      unit: 'ms',
      floor: one.chatLast.p99,
      target: '',
      met: null,
      headline: 'chat to a record of 10 on 4 processes p99',
    })
    addRow(bench, {
      id: 'B13',
      name: `${P} socket processes before the load`,
      metric: 'lock:claim p50 / p99',
      value: quiet.claim.p50,
      unit: 'ms',
      floor: one.claim.p50,
      target: '',
      met: null,
      note: `the same measured sockets on the tier before the load connects: claim p99 ${round(quiet.claim.p99)} ms, chat to the ten p50 ${round(quiet.chatLast.p50)} / p99 ${round(quiet.chatLast.p99)} ms (one process ${round(one.chatLast.p50)} / ${round(one.chatLast.p99)}); ${cpuText(quietCpu, 'tiers')}; one process while measured: A ${oneCpu.percents[0]}, redis ${oneCpu.redis}`,
    })
    addRow(bench, {
      id: 'B13',
      name: `${P} socket processes before the load`,
      metric: 'chat to the 10 p50',
      value: quiet.chatLast.p50,
      unit: 'ms',
      floor: one.chatLast.p50,
      target: '',
      met: null,
    })
    addRow(bench, {
      id: 'B13',
      name,
      metric: 'connect + join all',
      value: round(connectMs / 1000, 1),
      unit: 's',
      floor: null,
      target: '0 errors',
      met: errors === 0,
      note: `${joined} load sockets joined from ${clientProcesses} client processes, 25 at a time each (${errors} errors), a token each (one HMAC, one spend in Redis); ${retries} refusals for store_unavailable retried as a page would (a Redis command of the handshake or join waited past commandTimeoutMs, 2 s, while every process was busy connecting)`,
    })
    addRow(bench, {
      id: 'B13',
      name,
      metric: 'Redis scripts/s, load idle',
      value: round(scriptsPerSecond, 0),
      unit: '/s',
      floor: null,
      target: '',
      met: null,
      note: `scripts (EVALSHA: one round trip each) per second over ${round(idleSeconds, 1)} s of the load only idling (every heartbeatIntervalMs, 10 s, each process renews its leases and its presence entries, one script per lease and per record it has sockets on); all commands, those inside scripts included, ${round(commandsPerSecond, 0)}/s (per second: ${topCommands}); ${cpuText(idle, 'tiers, then clients')}; tier heapUsed ${heaps.map((h) => `${round(h.heapUsed / 2 ** 20, 0)} MiB`).join(' / ')}, rss ${heaps.map((h) => `${round(h.rss / 2 ** 20, 0)} MiB`).join(' / ')}`,
    })
    addRow(bench, { id: 'B13', name, metric: 'sockets dropped while measured', value: dropped, unit: '', floor: null, target: '0', met: dropped === 0 })
    bench.details.B13 = {
      planned,
      records,
      total: totalSockets,
      clientProcesses,
      idleCounts,
      scriptsPerSecond,
      limit,
      one,
      quiet,
      loaded,
      oneCpu,
      quietCpu,
      loadedCpu,
      idle,
      commandsPerSecond,
      perTier: perTier.map((t) => t.clients),
      connectMs,
      joined,
      errors,
      loadSingle,
      loadLoaded,
      heaps,
    }
  } finally {
    closeAll(benchSockets)
    // The load goes with its processes: 40,000 goodbyes would only measure the teardown. The keys
    // are under this scenario's own prefix.
    for (const child of [...clients, ...tiers]) child.kill()
  }
}

/** `count` measured records with ten sockets each: the first joins edit (the holder), the others show. */
async function measuredGroups(
  count: number,
  postIds: string[],
  open: (i: number, j: number) => Promise<Socket>,
): Promise<{ holders: Socket[]; groups: Socket[][]; recordIds: string[] }> {
  const recordIds = postIds.slice(0, count)
  const groups: Socket[][] = []
  for (const recordId of recordIds) {
    const group: Socket[] = []
    for (let j = 0; j < PER_RECORD; j++) {
      const socket = await open(groups.length * PER_RECORD + j, j)
      group.push(socket)
      const reply = await joinPost(socket, recordId, j === 0 ? 'edit' : 'show')
      if (j === 0 && !reply.lease) throw new Error(`B13: the first on ${recordId} did not get the lock`)
    }
    groups.push(group)
  }
  return { holders: groups.map((group) => group[0]!), groups, recordIds }
}

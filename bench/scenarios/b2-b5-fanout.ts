/**
 * B2: how fast a change of the lock reaches everyone on the record. One holder and N viewers on one
 * post; each round the holder leaves (every viewer must get `lock:state` with no lease) and joins
 * again (every viewer must get the new lease). Floor: a bare room emit of a payload of the same
 * shape to as many sockets, rounds interleaved with ours.
 *
 * B5: chat fan-out on the same record: `chat:send` by the holder until every viewer has the
 * `chat:message`, at N and then at the bigger count, against a bare room emit of the same message.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { randomUUID } from 'node:crypto'
import type { Socket } from 'socket.io-client'
import type { ChatMessage, LockStateEvent } from '../../src/protocol.js'
import { addRow, notAvailable, progress, startCollab, type Bench } from '../lib/bench.js'
import { Child } from '../lib/child.js'
import { anyCookie, ask, closeAll, connectBare, connectCollab, connectMany, Fanout, joinPost, joinRoom, ref, type FanoutResult } from '../lib/clients.js'
import { round, sleep, summarize } from '../lib/stats.js'

interface Series {
  latencies: number[]
  last: number[]
  missed: number
}

const series = (): Series => ({ latencies: [], last: [], missed: 0 })

function add(target: Series, result: FanoutResult): void {
  target.latencies.push(...result.latencies)
  if (!Number.isNaN(result.lastMs)) target.last.push(result.lastMs)
  target.missed += result.missed
}

export const CHAT_HANDLERS = new URL('../../src/server/chat.handlers.ts', import.meta.url)
const BARE_SCRIPT = new URL('../bare-server.ts', import.meta.url)
const RESULTS = fileURLToPath(new URL('../results/', import.meta.url))

/**
 * A second bare server whose broadcasts go through Socket.IO's Redis streams adapter, as ours do
 * with a Redis store (any other process may have sockets in the room), with its own viewers.
 */
async function publishingBare(bench: Bench, viewers: number): Promise<{ child: Child; sender: Socket; viewers: Socket[] }> {
  const child = await Child.start('bare-published', BARE_SCRIPT, `${RESULTS}bare-b5-published.log`)
  const { url } = await child.request<{ url: string }>('start', {
    pingIntervalMs: bench.overrides.pingIntervalMs,
    pingTimeoutMs: bench.overrides.pingTimeoutMs,
    redisUrl: bench.redisUrl,
    streamName: `bench:${bench.runId}:b5:bare-stream`,
  })
  const sender = await connectBare(url)
  const sockets = await connectMany(
    viewers,
    50,
    () => connectBare(url),
    async (socket) => joinRoom(socket, 'fan'),
  )
  return { child, sender, viewers: sockets }
}

export async function fanout(bench: Bench): Promise<void> {
  const scale = bench.quick ? { viewers: 20, big: 50, rounds: 5, messages: 5, warm: 20 } : { viewers: 100, big: 1_000, rounds: 50, messages: 50, warm: 300 }
  const app = await startCollab(bench, bench.collab, { posts: 5 })
  const recordId = app.postIds[0]!
  const record = ref(recordId)

  progress(`B2/B5: a holder and ${scale.viewers} viewers on one record`)
  const holder = await connectCollab(app.url, app.cookies.alice)
  const held = await joinPost(holder, recordId, 'edit')
  if (held.lease?.tabId !== held.tabId) throw new Error('B2: the holder did not get the lock')
  const viewers = await connectMany(
    scale.viewers,
    20,
    (i) => connectCollab(app.url, anyCookie(app.cookies, i)),
    async (socket) => {
      await joinPost(socket, recordId, 'show')
    },
  )
  const bareSender = await connectBare(bench.bareUrl)
  const bareViewers = await connectMany(
    scale.viewers,
    50,
    () => connectBare(bench.bareUrl),
    async (socket) => joinRoom(socket, 'fan'),
  )
  await sleep(300) // presence broadcasts of the joins settle

  const lockFan = new Fanout(viewers, 'lock:state')
  const bareLockFan = new Fanout(bareViewers, 'lock:state')
  const released = series()
  const granted = series()
  const bare = series()
  const timeoutMs = 5_000
  for (let r = 0; r < scale.rounds; r++) {
    add(
      released,
      await lockFan.measure(
        () => ask(holder, 'record:leave', record),
        (p) => (p as LockStateEvent).recordId === recordId && (p as LockStateEvent).lease === null,
        timeoutMs,
      ),
    )
    add(
      granted,
      await lockFan.measure(
        () => joinPost(holder, recordId, 'edit'),
        (p) => (p as LockStateEvent).recordId === recordId && (p as LockStateEvent).lease !== null,
        timeoutMs,
      ),
    )
    // The same shape as our release announcement, marked with the round.
    const payload = { ...record, lease: null, round: r }
    add(
      bare,
      await bareLockFan.measure(
        () => ask(bareSender, 'room-emit', { room: 'fan', event: 'lock:state', payload }),
        (p) => (p as { round?: number }).round === r,
        timeoutMs,
      ),
    )
    await sleep(20)
  }
  lockFan.dispose()
  bareLockFan.dispose()
  const rel = summarize(released.latencies)
  const gra = summarize(granted.latencies)
  const bas = summarize(bare.latencies)
  const name = `lock:state to ${scale.viewers} viewers`
  addRow(bench, { id: 'B2', name, metric: 'release p50', value: rel.p50, unit: 'ms', floor: bas.p50, target: '', met: null })
  addRow(bench, { id: 'B2', name, metric: 'release p99', value: rel.p99, unit: 'ms', floor: bas.p99, target: '< 50 ms', met: rel.p99 < 50 && released.missed === 0 })
  addRow(bench, { id: 'B2', name, metric: 'grant p50', value: gra.p50, unit: 'ms', floor: bas.p50, target: '', met: null })
  addRow(bench, { id: 'B2', name, metric: 'grant p99', value: gra.p99, unit: 'ms', floor: bas.p99, target: '< 50 ms', met: gra.p99 < 50 && granted.missed === 0 })
  addRow(bench, {
    id: 'B2',
    name,
    metric: 'missed deliveries',
    value: released.missed + granted.missed,
    unit: '',
    floor: bare.missed,
    target: '0',
    met: released.missed + granted.missed === 0,
  })
  bench.details.B2 = { scale, release: rel, grant: gra, bare: bas, releaseLast: summarize(released.last), grantLast: summarize(granted.last), bareLast: summarize(bare.last) }

  // B5: chat, when the server has it.
  const chatFile = existsSync(CHAT_HANDLERS)
  const probe = chatFile ? await ask<ChatMessage>(holder, 'chat:send', { ...record, to: null, text: 'probe' }) : undefined
  if (!probe?.reply.ok) {
    const why = !chatFile
      ? 'src/server/chat.handlers.ts does not exist yet'
      : `chat:send answered ${probe?.reply.ok === false ? `${probe.reply.error.code}: ${probe.reply.error.message}` : '?'}`
    for (const n of [scale.viewers, scale.big])
      notAvailable(bench, 'B5', `chat to ${n} viewers`, 'chat:message p50', '<= 1.2x floor', why, n === scale.viewers ? 'chat to 100 viewers p50' : undefined)
  } else {
    const template = probe.reply.data
    await sleep(100)
    /**
     * `messages` of ours and of each floor, taking turns; a warm-up (`measured` false) adds no row.
     * With `published` (the 100-viewer run), a floor more: store, emit, publish to other processes.
     */
    const chatRun = async (n: number, messages: number, measured = true, published?: Awaited<ReturnType<typeof publishingBare>>) => {
      const chatFan = new Fanout(viewers, 'chat:message')
      const bareChatFan = new Fanout(bareViewers, 'chat:message')
      const publishedFan = published ? new Fanout(published.viewers, 'chat:message') : undefined
      const ours = series()
      const theirs = series()
      const stored = series()
      const storedPublished = series()
      /** A bare server's `event` to the room, until every one of its viewers has `message`. */
      const bareEmit = async (into: ReturnType<typeof series>, event: string, message: ChatMessage, fan = bareChatFan, sender = bareSender) =>
        add(
          into,
          await fan.measure(
            () => ask(sender, event, { room: 'fan', event: 'chat:message', payload: message }),
            (p) => (p as ChatMessage).text === message.text,
            timeoutMs * 2,
          ),
        )
      for (let m = 0; m < messages; m++) {
        const text = `bench message ${m} ${randomUUID()}`
        const payload: ChatMessage = { ...template, id: randomUUID(), text, atMs: Date.now() }
        const storedText = `${text} stored`
        const measurements = [
          async () =>
            add(
              ours,
              await chatFan.measure(
                async () => {
                  const sent = await ask<ChatMessage>(holder, 'chat:send', { ...record, to: null, text })
                  if (!sent.reply.ok) throw new Error(`chat:send: ${sent.reply.error.code}: ${sent.reply.error.message}`)
                },
                (p) => (p as ChatMessage).text === text,
                timeoutMs * 2,
              ),
            ),
          () => bareEmit(theirs, 'room-emit', payload),
          // The same, after one trivial script: a chat message is stored before anyone is told.
          () => bareEmit(stored, 'room-emit-redis', { ...payload, text: storedText }),
          // And published through the streams adapter, as a server that may have peers must.
          ...(published && publishedFan ? [() => bareEmit(storedPublished, 'room-emit-redis', { ...payload, text: `${text} published` }, publishedFan, published.sender)] : []),
        ]
        // Each goes first in turn: the first after the pause pays for waking the machine up.
        for (let k = 0; k < measurements.length; k++) await measurements[(m + k) % measurements.length]!()
        await sleep(20)
      }
      chatFan.dispose()
      bareChatFan.dispose()
      publishedFan?.dispose()
      if (!measured) return
      const o = summarize(ours.latencies)
      const t = summarize(theirs.latencies)
      const chatName = `chat to ${n} viewers`
      addRow(bench, {
        id: 'B5',
        name: chatName,
        metric: 'chat:message p50',
        value: o.p50,
        unit: 'ms',
        floor: t.p50,
        target: '<= 1.2x floor',
        met: o.p50 / t.p50 <= 1.2 && ours.missed === 0,
        ...(n === scale.viewers ? { headline: 'chat to 100 viewers p50' as const } : {}),
        note: 'floor: bare room emit of the same message to as many sockets, messages interleaved with ours',
      })
      addRow(bench, {
        id: 'B5',
        name: chatName,
        metric: 'chat:message p99',
        value: o.p99,
        unit: 'ms',
        floor: t.p99,
        target: '<= 1.2x floor',
        met: o.p99 / t.p99 <= 1.2 && ours.missed === 0,
        ...(n === scale.viewers ? { headline: 'chat to 100 viewers p99' as const } : {}),
      })
      const st = summarize(stored.latencies)
      addRow(bench, {
        id: 'B5',
        name: chatName,
        metric: 'chat:message p50 vs stored first',
        value: o.p50,
        unit: 'ms',
        floor: st.p50,
        target: '',
        met: null,
        note: `floor: the bare room emit after one trivial Lua script (room-emit-redis): a chat message is stored before anyone is told (whoever hears it finds it in the history); p99 ${round(o.p99, 2)} vs ${round(st.p99, 2)} ms`,
      })
      if (published) {
        const sp = summarize(storedPublished.latencies)
        addRow(bench, {
          id: 'B5',
          name: chatName,
          metric: 'chat:message p50 vs stored and published',
          value: o.p50,
          unit: 'ms',
          floor: sp.p50,
          target: '',
          met: null,
          headline: 'chat to 100 viewers p50 vs stored and published',
          note: `floor: a second bare server whose room emit goes through Socket.IO's Redis streams adapter (as ours does with a Redis store: other processes may have viewers), after the trivial script; it is ${round(sp.p50 / t.p50, 2)}x the bare emit; p99 ${round(o.p99, 2)} vs ${round(sp.p99, 2)} ms`,
        })
      }
      const lastO = summarize(ours.last)
      const lastT = summarize(theirs.last)
      addRow(bench, {
        id: 'B5',
        name: chatName,
        metric: 'last viewer, median msg',
        value: lastO.p50,
        unit: 'ms',
        floor: lastT.p50,
        target: '',
        met: null,
        ...(ours.missed ? { note: `${ours.missed} deliveries missed` } : {}),
      })
      bench.details.B5 ??= {} as Record<string, unknown>
      ;(bench.details.B5 as Record<string, unknown>)[String(n)] = { ours: o, bare: t, lastOurs: lastO, lastBare: lastT, missed: ours.missed }
    }
    // Warm-up to a long-running server's steady state, as in B1: measured cold, the chat path's p50
    // to 100 viewers fell from 2.1 to 1.4 ms over its first 3,000 messages back to back
    // (bench/tools/claim-profile.ts --chat=1 --viewers=100), while the bare emit's code is warm at
    // once. The floors get the same messages.
    const published = await publishingBare(bench, scale.viewers)
    try {
      progress(`B5: warming up (${scale.warm} messages of ours and of each floor)`)
      await chatRun(scale.viewers, scale.warm, false, published)
      progress(`B5: chat fan-out to ${scale.viewers} viewers`)
      await chatRun(scale.viewers, scale.messages, true, published)
    } finally {
      closeAll([published.sender, ...published.viewers])
      await published.child.stop()
    }

    const more = scale.big - scale.viewers
    progress(`B5: joining ${more} more viewers to the same record`)
    const started = performance.now()
    const joinTimes: number[] = []
    const extra = await connectMany(
      more,
      20,
      (i) => connectCollab(app.url, anyCookie(app.cookies, i + 1)),
      async (socket) => {
        joinTimes.push((await joinPost(socket, recordId, 'show', undefined, 30_000)).ms)
      },
    )
    const joinSeconds = (performance.now() - started) / 1000
    const joins = summarize(joinTimes)
    addRow(bench, {
      id: 'B5',
      name: `setup: ${more} more viewers on 1 record`,
      metric: 'record:join show p99',
      value: joins.p99,
      unit: 'ms',
      floor: null,
      target: '',
      met: null,
      note: `${more} joins took ${round(joinSeconds, 1)} s in all (20 at a time); every join sends its change (presence:changed) to everyone already there and reads every presence entry`,
    })
    const extraBare = await connectMany(
      more,
      50,
      () => connectBare(bench.bareUrl),
      async (socket) => joinRoom(socket, 'fan'),
    )
    viewers.push(...extra)
    bareViewers.push(...extraBare)
    await sleep(500)
    progress(`B5: chat fan-out to ${scale.big} viewers`)
    await chatRun(scale.big, scale.messages)
    bench.details.B5setup = { joins, joinSeconds }
  }
  // The server goes first, so our disconnects do not start reconnect graces in a closing server.
  await bench.collab.request('stop')
  closeAll([holder, bareSender])
  closeAll(viewers as Socket[])
  closeAll(bareViewers)
}

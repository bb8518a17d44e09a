/**
 * Broadcasts between processes on a Redis Cluster, spread over the partitioned streams
 * (src/server/partitioned-streams.ts), against a cluster of three masters this file starts:
 *
 * - chat on 12 records from process A reaches a tab on process B, each record's messages in the
 *   order they were sent; an observer reading every master directly finds the broadcasts in
 *   streams on more than one master, and each record's in one stream only;
 * - every client connection on every master killed twice while both processes chat: no
 *   acknowledged message is lost (each stream is read on from the last entry a process got).
 */
import { randomUUID } from 'node:crypto'
import session from 'express-session'
import { Redis } from 'ioredis'
import type { ChatMessage, RecordRef } from '../src/protocol.js'
import { slotOf } from '../src/store/slot.js'
import { broadcastPartition, broadcastStreamKeys, streamIndex } from '../src/server/partitioned-streams.js'
import { recordKey, recordRoom, recordUserRoom } from '../src/store/keys.js'
import { loginAll, startTestApp, type TestApp } from './support/app.js'
import { nextEvent, recordEvents, request, unwrap, type TestSocket } from './support/clients.js'
import { RecordTabs } from './support/record-tabs.js'
import { startRedisCluster, type RedisCluster } from './support/redis-cluster.mjs'
import { startRedisServer } from './support/redis-server.mjs'
import { execFile } from 'node:child_process'

const RECORDS = 12

test('16 stream readers on one process make Node warn of nothing (one abort signal ends them all)', async () => {
  // In a process of its own: Node's warnings go to the real process, which Jest's sandbox does not
  // see, and without the test runner's --no-warnings.
  const redis = await startRedisServer()
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  delete env.NODE_NO_WARNINGS
  try {
    const script = `
      import { Redis } from 'ioredis'
      import { Server } from 'socket.io'
      import { partitionedStreams } from ${JSON.stringify(new URL('../src/server/partitioned-streams.ts', import.meta.url).href)}
      const client = new Redis(${JSON.stringify(redis.url)})
      const io = new Server({ adapter: partitionedStreams(client, { streamName: 'warn:socket.io', streamCount: 16 }) })
      await new Promise((resolve) => setTimeout(resolve, 300))
      await io.of('/').adapter.close()
      client.disconnect()
      console.log('done')`
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30_000, env }, (error, out, err) =>
        error ? reject(Object.assign(error, { stderr: err })) : resolve({ stdout: out, stderr: err }),
      ),
    )
    expect(stdout.trim()).toBe('done')
    expect(stderr).not.toContain('MaxListenersExceededWarning')
  } finally {
    await redis.stop()
  }
})

describe('the partition of a broadcast', () => {
  test('is the record its payload names, whatever rooms it goes to', () => {
    const lockState = ['lock:state', { resourceId: 'Post', recordId: '7', lease: null }]
    const chat = ['chat:message', { resourceId: 'Post', recordId: '7', text: 'hi' }]
    expect(broadcastPartition({ data: lockState }, [recordRoom('Post', '7')])).toBe(recordKey('Post', '7'))
    expect(broadcastPartition({ data: chat }, [recordUserRoom('Post', '7', 'alice'), recordUserRoom('Post', '7', 'bob')])).toBe(recordKey('Post', '7'))
  })

  test('is its rooms, sorted, when the payload names no record', () => {
    expect(broadcastPartition({ data: ['x', { n: 1 }] }, ['b', 'a'])).toBe(broadcastPartition({ data: ['y'] }, ['a', 'b']))
    expect(broadcastPartition({ data: ['x', null] }, [])).toBe('')
    expect(broadcastPartition(null, ['a'])).toBe('a')
  })

  test("streams' slots are evenly spaced, the same in every process", () => {
    const keys = broadcastStreamKeys('p:socket.io', 16)
    expect(broadcastStreamKeys('p:socket.io', 16)).toEqual(keys)
    expect(new Set(keys).size).toBe(16)
    // Three masters with equal contiguous ranges, as redis-cli --cluster create makes them.
    const ranges = [5461, 10923, 16384]
    const perMaster = [0, 0, 0]
    for (const key of keys) perMaster[ranges.findIndex((end) => slotOf(key) < end)]! += 1
    expect(perMaster.reduce((a, b) => a + b)).toBe(16)
    expect(Math.max(...perMaster) - Math.min(...perMaster)).toBeLessThanOrEqual(1)
  })

  test('spreads records evenly over the streams', () => {
    const counts = new Array<number>(16).fill(0)
    for (let id = 1; id <= 1600; id++) counts[streamIndex(recordKey('Post', String(id)), 16)]! += 1
    // 100 each on average; a fair hash stays well within half and double of it.
    expect(Math.min(...counts)).toBeGreaterThan(50)
    expect(Math.max(...counts)).toBeLessThan(200)
    expect(streamIndex('anything', 1)).toBe(0)
  })
})

describe('two processes on a Redis Cluster with partitioned broadcast streams', () => {
  let cluster: RedisCluster | undefined
  const apps: TestApp[] = []
  const tabs: RecordTabs[] = []
  const prefix = `streams:${randomUUID()}:`
  let a: { app: TestApp; tabs: RecordTabs }
  let b: { app: TestApp; tabs: RecordTabs }
  let cookies: Record<string, string>
  const refs: RecordRef[] = []

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 })
    const shared = { store: new session.MemoryStore(), secret: 'server-broadcast-streams-secret' }
    const start = async () => {
      const app = await startTestApp({ redis: cluster!.urls, redisKeyPrefix: prefix, chatMessagesPerMinute: 100_000, eventsPerSecond: 1000 }, { session: shared })
      apps.push(app)
      // The same extra posts in each process's own database (ids 4 on), as one database would have.
      for (let i = 0; i < RECORDS - 3; i++) await app.dataSource.query(`INSERT INTO post (title, body, status, updatedAt) VALUES ('post ${i}', '', 'draft', '2026-01-01 00:00:00')`)
      const appTabs = new RecordTabs(() => app.url)
      tabs.push(appTabs)
      return { app, tabs: appTabs }
    }
    a = await start()
    b = await start()
    cookies = await loginAll(a.app)
    for (let id = 1; id <= RECORDS; id++) refs.push({ resourceId: 'Post', recordId: String(id) })
  }, 200_000)

  afterAll(async () => {
    for (const appTabs of tabs) await appTabs.closeAll()
    for (const app of apps) await app.close()
    await cluster?.stop()
  })

  const send = (socket: TestSocket, ref: RecordRef, text: string) => request<ChatMessage>(socket, 'chat:send', { ...ref, to: null, text })

  /** Resolves once a message sent on `from` is heard on `to` (each adapter reads from when it started). */
  async function heardAcross(from: TestSocket, to: TestSocket, ref: RecordRef): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const text = `warm-up ${randomUUID()}`
      const heard = nextEvent<ChatMessage>(to, 'chat:message', (m) => m.text === text, 1000).then(
        () => true,
        () => false,
      )
      unwrap(await send(from, ref, text))
      if (await heard) return
      if (attempt > 10) throw new Error('the processes never heard each other')
    }
  }

  /** Every stream entry under the prefix, read on each master directly: stream key -> chat record ids in stream order. */
  async function streamsOnMasters(): Promise<Map<number, Map<string, string[]>>> {
    const byMaster = new Map<number, Map<string, string[]>>()
    for (const port of await cluster!.masterPorts()) {
      const master = new Redis(port, '127.0.0.1')
      try {
        const streams = new Map<string, string[]>()
        for (const key of await master.keys(`${prefix}socket.io:{*`)) {
          if ((await master.type(key)) !== 'stream') continue
          const records: string[] = []
          for (const [, fields] of await master.xrange(key, '-', '+')) {
            const data = fields[fields.indexOf('data') + 1]
            // A broadcast's data: { packet: { data: [event, payload] }, opts }.
            const packet = data?.startsWith('{') ? (JSON.parse(data) as { packet?: { data?: [string, { recordId?: string }] } }).packet : undefined
            if (packet?.data?.[0] === 'chat:message' && packet.data[1].recordId) records.push(packet.data[1].recordId)
          }
          streams.set(key, records)
        }
        byMaster.set(port, streams)
      } finally {
        master.disconnect()
      }
    }
    return byMaster
  }

  test("chat on 12 records reaches the other process in each record's order, through streams on several masters", async () => {
    const aliceTabs = await Promise.all(refs.map((ref) => a.tabs.join(cookies.alice!, ref, 'show')))
    const bobTabs = await Promise.all(refs.map((ref) => b.tabs.join(cookies.bob!, ref, 'show')))
    for (let i = 0; i < RECORDS; i++) await heardAcross(aliceTabs[i]!.socket, bobTabs[i]!.socket, refs[i]!)

    const heard = bobTabs.map((tab) => recordEvents<ChatMessage>(tab.socket, 'chat:message'))
    const PER_RECORD = 10
    const sent: string[][] = refs.map(() => [])
    const sends: Array<Promise<void>> = []
    for (let n = 0; n < PER_RECORD; n++)
      for (let i = 0; i < RECORDS; i++) {
        const text = `m-${i}-${n}`
        sent[i]!.push(text)
        sends.push(send(aliceTabs[i]!.socket, refs[i]!, text).then((reply) => void unwrap(reply)))
      }
    await Promise.all(sends)
    const deadline = Date.now() + 10_000
    const counted = () => heard.every((messages) => messages.filter((m) => m.text.startsWith('m-')).length >= PER_RECORD)
    while (!counted() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    for (let i = 0; i < RECORDS; i++) expect(heard[i]!.filter((m) => m.text.startsWith('m-')).map((m) => m.text)).toEqual(sent[i])

    // The observer: which master holds which stream, and which records' chat each stream carried.
    const byMaster = await streamsOnMasters()
    const mastersWithChat = [...byMaster.values()].filter((streams) => [...streams.values()].some((records) => records.length > 0))
    const streamsOf = new Map<string, Set<string>>()
    for (const streams of byMaster.values())
      for (const [key, records] of streams) for (const recordId of records) streamsOf.set(recordId, (streamsOf.get(recordId) ?? new Set()).add(key))
    console.log(
      `[streams] chat streams per master: ${[...byMaster.entries()].map(([port, streams]) => `${port}: ${[...streams.values()].filter((r) => r.length > 0).length}`).join(', ')}`,
    )
    expect(mastersWithChat.length).toBeGreaterThan(1)
    expect(streamsOf.size).toBe(RECORDS)
    for (const keys of streamsOf.values()) expect(keys.size).toBe(1)
  }, 60_000)

  test('every client connection on every master killed twice while chatting: no acknowledged message is lost', async () => {
    const ref = refs[4]!
    const alice = await a.tabs.join(cookies.alice!, ref, 'show')
    const bob = await b.tabs.join(cookies.bob!, ref, 'show')
    await heardAcross(alice.socket, bob.socket, ref)
    await heardAcross(bob.socket, alice.socket, ref)
    const receivedByBob = recordEvents<ChatMessage>(bob.socket, 'chat:message')
    const receivedByAlice = recordEvents<ChatMessage>(alice.socket, 'chat:message')
    const acked: Array<{ message: ChatMessage; heardBy: ChatMessage[] }> = []
    const refused: string[] = []
    const killed: number[] = []
    const sends: Array<Promise<void>> = []
    const TOTAL = 60
    for (let n = 0; n < TOTAL; n++) {
      if (n === 20 || n === 40) {
        let count = 0
        for (const port of await cluster!.masterPorts()) {
          const master = new Redis(port, '127.0.0.1')
          count += Number(await master.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes')) + Number(await master.client('KILL', 'TYPE', 'pubsub'))
          master.disconnect()
        }
        killed.push(count)
      }
      const [from, heardBy] = n % 2 === 0 ? [alice, receivedByBob] : [bob, receivedByAlice]
      sends.push(
        send(from.socket, ref, `k-${n}`).then((reply) => {
          if (reply.ok) acked.push({ message: reply.data, heardBy })
          else refused.push(reply.error.code)
        }),
      )
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await Promise.all(sends)
    const missing = () => acked.filter(({ message, heardBy }) => !heardBy.some((m) => m.id === message.id))
    const deadline = Date.now() + 15_000
    while (missing().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    console.log(
      `[streams] chat while killing connections: ${TOTAL} sent, ${acked.length} acknowledged, refused ${refused.join(', ') || 'none'}, lost ${missing().length}, killed ${killed.join(' and ')}`,
    )
    expect(killed.every((count) => count > 0)).toBe(true)
    // Sends refused while the connections come back are refused to their sender, not lost.
    expect(acked.length).toBeGreaterThan(TOTAL / 4)
    expect(missing()).toEqual([])
  }, 90_000)
})

/**
 * Nothing a client sends can crash the server. The server runs as its own process (a crash inside
 * jest's VM would not show), and logged-in hostile sockets send what socket.io-client never would:
 * every argument shape of an acknowledged event, raw Socket.IO and Engine.IO frames, binary
 * attachments, garbage, and thousands of seeded random packets. Afterwards the process is up and a
 * bystander's claim succeeds.
 *
 * FUZZ_SEED=<n> reproduces a run; FUZZ_PACKETS=<n> changes its length.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { ErrorCode, type JoinReply } from '../src/protocol.js'
import { login, newTabToken, openSocket, request, unwrap } from './support/clients.js'
import { killAllChildren, startExampleProcess, type ExampleProcess } from './support/processes.js'
import { RawSocket } from './support/raw-socket.js'
import { users } from './support/app.js'

const log = (message: string) => console.log(`[security-events] ${message}`)

let server: ExampleProcess
const cookies: Record<string, string> = {}

beforeAll(async () => {
  server = await startExampleProcess('fuzz-target', {
    redisUrl: process.env.TEST_REDIS_URL!,
    sessionSecret: randomUUID(),
    // No rate limit: every packet must get past the bucket to reach the checks behind it.
    collaboration: { redisKeyPrefix: `test:${randomUUID()}:`, eventsPerSecond: 1_000_000, maxSocketsPerUser: 1000 },
  })
  for (const [name, email] of Object.entries(users)) cookies[name] = await login(server.url, email)
}, 60_000)

afterAll(async () => {
  await killAllChildren()
})

/**
 * A record no fuzzed packet names (the fuzz's plausible payloads use Post 1 and 2, and Page ids that
 * do not exist): a lease a fuzzing editor's dropped socket keeps for its grace cannot be in the way.
 */
const UNTOUCHED_PAGE = '8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d'

/** The server process is alive and still serves a logged-in admin's claim. */
async function expectServerHealthy(recordId: string, resourceId = 'Post'): Promise<void> {
  expect(server.isRunning()).toBe(true)
  const socket = await openSocket(server.url, { cookie: cookies.bob })
  try {
    const reply = unwrap(await request<JoinReply>(socket, 'record:join', { resourceId, recordId, tabToken: newTabToken(), intent: 'edit' }))
    expect(reply.lease?.tabId).toBe(reply.tabId)
    await request(socket, 'record:leave', { resourceId, recordId })
  } finally {
    socket.close()
  }
  expect(server.output()).not.toMatch(/unhandled|UnhandledPromiseRejection|TypeError: ack is not a function/i)
}

describe('argument shapes of an acknowledged event', () => {
  test('a read-only admin sending (ack) alone, or extra arguments, gets invalid_payload; the process stays up', async () => {
    const dave = await openSocket(server.url, { cookie: cookies.dave })
    const untyped = dave as unknown as { emit: (...args: unknown[]) => void }
    const onlyAck = new Promise((resolve) => untyped.emit('lock:claim', resolve))
    expect(await onlyAck).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidPayload } })
    const extra = new Promise((resolve) => untyped.emit('lock:claim', { resourceId: 'Post', recordId: '1' }, 'extra', resolve))
    expect(await extra).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidPayload } })
    const three = new Promise((resolve) => untyped.emit('record:join', 1, 2, 3, resolve))
    expect(await three).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidPayload } })
    // Without an ack there is nobody to answer: dropped, and the socket lives on.
    untyped.emit('record:join', { resourceId: 'Post', recordId: '1', tabToken: newTabToken(), intent: 'show' })
    const after = await request(dave, 'lock:claim', { resourceId: 'Post', recordId: '1' })
    expect(after).toMatchObject({ ok: false, error: { code: ErrorCode.NotJoined } })
    dave.close()
    await expectServerHealthy('1')
  })

  test('raw frames: 421["lock:claim"], a bare ack id, binary attachments, reserved names', async () => {
    const raw = await RawSocket.open(server.url, { cookie: cookies.dave })
    raw.sendRaw('421["lock:claim"]')
    expect(await raw.ack(1)).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidPayload } })
    raw.sendRaw('422["record:join",{"resourceId":"Post","recordId":"1","tabToken":"0123456789abcdef","intent":"show"},{"more":1}]')
    expect(await raw.ack(2)).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidPayload } })
    raw.sendRaw('423[42]')
    expect(await raw.ack(3)).toMatchObject({ ok: false, error: { code: ErrorCode.UnknownEvent } })
    raw.sendRaw('424["constructor",{}]')
    expect(await raw.ack(4)).toMatchObject({ ok: false, error: { code: ErrorCode.UnknownEvent } })
    // A binary attachment where the payload should be.
    raw.sendRaw('451-5["lock:claim",{"_placeholder":true,"num":0}]')
    raw.sendRaw(randomBytes(32))
    expect(await raw.ack(5)).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidPayload } })
    raw.close()
    await expectServerHealthy('1')
  })
})

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with its seed. */
function prng(seed: number) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const EVENTS = [
  'record:join',
  'lock:claim',
  'lock:takeover',
  'record:leave',
  'record:unload',
  'lock:handover',
  'attention:request',
  'chat:send',
  'chat:history',
  'lock:steal',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '',
  'x'.repeat(300),
]

function fuzzer(seed: number) {
  const random = prng(seed)
  const int = (n: number) => Math.floor(random() * n)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!
  const string = (): string => {
    switch (int(6)) {
      case 0:
        return ''
      case 1:
        return pick(['1', '01', ' 1', '1.0', '+1', '1e0', '-1', '999999', 'NaN', '../../etc', '%00', '\u0000', '😀'])
      case 2:
        return newTabToken()
      case 3:
        return 'x'.repeat(int(30_000))
      case 4:
        return pick(['Post', 'Page', 'Nope', 'edit', 'show'])
      default:
        return String.fromCharCode(...Array.from({ length: int(20) }, () => int(0xffff)))
    }
  }
  const value = (depth: number): unknown => {
    switch (int(depth > 3 ? 5 : 9)) {
      case 0:
        return null
      case 1:
        return random() < 0.5
      case 2:
        return pick([0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER])
      case 3:
      case 4:
        return string()
      case 5:
        return Array.from({ length: int(5) }, () => value(depth + 1))
      case 6:
        return Object.fromEntries(
          Array.from({ length: int(5) }, () => [
            pick(['resourceId', 'recordId', 'tabToken', 'intent', 'to', 'text', 'with', 'toTabId', '__proto__', 'constructor', string()]),
            value(depth + 1),
          ]),
        )
      default: {
        // A plausible payload with one field bent: reaches the schema and often the handler.
        const base: Record<string, unknown> = {
          resourceId: pick(['Post', 'Page']),
          recordId: pick(['1', '2', '01', '1.0', ' 2']),
          tabToken: newTabToken(),
          intent: pick(['edit', 'show']),
          to: null,
          text: 'hi',
          with: null,
          toTabId: 'abc',
        }
        const fields = Object.keys(base).filter(() => random() < 0.7)
        const payload = Object.fromEntries(fields.map((key) => [key, base[key]]))
        if (random() < 0.4) payload[pick(fields.length ? fields : ['recordId'])] = value(depth + 1)
        return payload
      }
    }
  }
  /** One or more frames: a Socket.IO packet of any shape, or something that is not one at all. */
  const packet = (id: number): Array<string | Buffer> => {
    const args = Array.from({ length: int(4) }, () => value(0))
    const withAck = random() < 0.7
    // Most packets are well-formed Socket.IO events (they reach the router); the rest is what
    // makes Socket.IO close the connection (garbage, bad attachments), so a new one is opened.
    switch (int(24)) {
      case 0:
        return [randomBytes(int(64))]
      case 1:
        return [String.fromCharCode(...Array.from({ length: int(40) }, () => int(128)))]
      case 2:
        return [pick(['4', '42', '42[', '4{}', '43', '44', '46', '1', '5', '6', '3', '40/other,', '41', '49', '42[]', '420[]', '42"x"', '42null'])]
      case 3:
        return [`42${withAck ? id : ''}${'['.repeat(2000)}${']'.repeat(2000)}`]
      case 4: {
        const attachments = int(3)
        const frames: Array<string | Buffer> = [`45${attachments + int(2)}-${withAck ? id : ''}${JSON.stringify([pick(EVENTS), { _placeholder: true, num: int(3) }, ...args])}`]
        for (let i = 0; i < attachments; i++) frames.push(randomBytes(int(100)))
        return frames
      }
      case 5:
      case 6:
        return [`43${int(1000)}${JSON.stringify(args)}`]
      case 7:
      case 8:
        return [`42${withAck ? id : ''}${JSON.stringify([int(100), ...args])}`]
      default:
        return [`42${withAck ? id : ''}${JSON.stringify([pick(EVENTS), ...args])}`]
    }
  }
  return { packet, int }
}

test('thousands of seeded random packets from logged-in sockets: the process stays up, a bystander still claims', async () => {
  const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
  const total = Number(process.env.FUZZ_PACKETS ?? 6000)
  log(`seed ${seed} (FUZZ_SEED=${seed} to replay), ${total} packets`)
  const { packet, int } = fuzzer(seed)
  // Alice holds Post 3 throughout: no packet may take or free it.
  const alice = await openSocket(server.url, { cookie: cookies.alice })
  const held = unwrap(await request<JoinReply>(alice, 'record:join', { resourceId: 'Post', recordId: '3', tabToken: newTabToken(), intent: 'edit' }))
  expect(held.lease?.tabId).toBe(held.tabId)

  const senders = [cookies.dave!, cookies.carol!, undefined]
  let sent = 0
  let reconnects = 0
  let acks = 0
  let refusedUpgrades = 0
  let socket: RawSocket | undefined
  while (sent < total) {
    if (!socket || socket.closed) {
      const cookie = senders[int(senders.length)]
      try {
        socket = await RawSocket.open(server.url, { cookie })
        reconnects++
      } catch {
        refusedUpgrades++ // no session: refused before the WebSocket opens
        socket = undefined
        continue
      }
    }
    // Counted only when it went out on an open connection.
    const frames = packet(sent)
    if (!frames.every((frame) => socket!.sendRaw(frame))) {
      // Closing (not yet closed): drop it and open another.
      socket.close()
      socket = undefined
      continue
    }
    sent++
    // Let the server answer now and then, so acks and closes interleave with the flood.
    if (sent % 25 === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    acks += socket.frames.filter((frame) => typeof frame === 'string' && frame.startsWith('43')).length
    socket.frames.length = 0
  }
  await new Promise((resolve) => setTimeout(resolve, 200))
  acks += socket?.frames.filter((frame) => typeof frame === 'string' && frame.startsWith('43')).length ?? 0
  socket?.close()
  log(`sent ${sent} packets over ${reconnects} connections (${refusedUpgrades} upgrades refused without a session), ${acks} acknowledgements seen`)

  await expectServerHealthy(UNTOUCHED_PAGE, 'Page')
  // Alice still holds her record, with the same fence.
  const check = unwrap(await request<{ lease: { fence: number; tabId: string } | null }>(alice, 'lock:claim', { resourceId: 'Post', recordId: '3' }))
  expect(check.lease).toMatchObject({ fence: held.lease!.fence, tabId: held.tabId })
  alice.close()
  // Shape refusals are logged once per socket, never once per packet.
  const shapeLines = server
    .output()
    .split('\n')
    .filter((line) => line.includes('instead of (payload, ack)')).length
  expect(shapeLines).toBeLessThanOrEqual(reconnects + 2)
}, 120_000)

/**
 * The handshake and the transport, tried from outside: an outsider with no session, a page of
 * another origin or scheme, a client that picks its own X-Forwarded-* headers, and frames far larger
 * than any event. Upgrades are made with bare `ws` clients so that every header is the test's choice
 * and the HTTP answer to a refused upgrade is visible; the server's own connection count
 * (`server.getConnections`, Node's) is the observer of what an outsider is left holding.
 */
import WebSocket from 'ws'
import { ErrorCode, type JoinReply } from '../src/protocol.js'
import type { CollaborationOptions } from '../src/index.js'
import { loginAll, startTestApp, type TestApp } from './support/app.js'
import { newTabToken, openSocket, refusalFor, request, unwrap } from './support/clients.js'
import { RawSocket } from './support/raw-socket.js'

const SOCKET_PATH = '/admin/collaborator/socket.io'
const post1 = { resourceId: 'Post', recordId: '1' }

/** What became of an upgrade: opened (then closed again), refused with 400/403 before opening, or something else. */
type Upgrade = 'open' | 'refused' | `HTTP ${number}` | 'error'

/** One WebSocket upgrade with exactly these headers. `bodies` collects the texts of refusals. */
function upgrade(app: TestApp, headers: Record<string, string>, bodies?: string[]): Promise<Upgrade> {
  const ws = new WebSocket(`${app.url.replace(/^http/, 'ws')}${SOCKET_PATH}/?EIO=4&transport=websocket`, { headers })
  return new Promise((resolve) => {
    ws.once('open', () => {
      ws.terminate()
      resolve('open')
    })
    ws.once('unexpected-response', (req, res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        bodies?.push(body)
        req.destroy()
        resolve(res.statusCode === 400 || res.statusCode === 403 ? 'refused' : `HTTP ${res.statusCode ?? 0}`)
      })
    })
    ws.once('error', () => resolve('error'))
  })
}

/** Waits until `check` holds, asking every 20 ms; fails after timeoutMs. */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const connectionsOf = (app: TestApp) => new Promise<number>((resolve, reject) => app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))))

/** A logger that keeps what it is told. */
function collectingLogger() {
  const warnings: string[] = []
  return {
    warnings,
    logger: { warn: (...args: unknown[]) => void warnings.push(args.map(String).join(' ')), error: () => undefined, info: () => undefined },
  }
}

describe('handshake', () => {
  let app: TestApp
  let cookies: Awaited<ReturnType<typeof loginAll>>
  const { warnings, logger } = collectingLogger()

  beforeAll(async () => {
    app = await startTestApp({}, { logger })
    cookies = await loginAll(app)
  })

  afterAll(async () => {
    await app?.close()
  })

  test('200 upgrades without a session are refused before the WebSocket opens, and leave no connection behind', async () => {
    // fetch's keep-alive connections of the logins count too: compare with the count before.
    const before = await connectionsOf(app)
    const results: Upgrade[] = []
    for (let batch = 0; batch < 4; batch++) {
      results.push(...(await Promise.all(Array.from({ length: 50 }, () => upgrade(app, { origin: app.url })))))
    }
    const bodies: string[] = []
    expect(await upgrade(app, { origin: app.url }, bodies)).toBe('refused')
    expect(bodies).toEqual([ErrorCode.Unauthenticated])
    expect(results.filter((r) => r !== 'refused')).toEqual([])
    await eventually(async () => (await connectionsOf(app)) <= before, 'the refused connections are closed by the server')

    // Control: the same upgrade with the admin's cookie opens.
    expect(await upgrade(app, { origin: app.url, cookie: cookies.alice })).toBe('open')
    // A forged cookie is no session either.
    expect(await upgrade(app, { cookie: `${cookies.alice.split('=')[0]}=s%3Aforged.sig` })).toBe('refused')
  })

  test('a foreign origin is refused before the upgrade even with the cookie, logged once per origin with the fix', async () => {
    warnings.length = 0
    for (let i = 0; i < 5; i++) expect(await upgrade(app, { origin: 'http://evil.example', cookie: cookies.alice })).toBe('refused')
    for (let i = 0; i < 3; i++) expect(await upgrade(app, { origin: 'https://other.example', cookie: cookies.alice })).toBe('refused')
    // Another scheme of the admin's own host is another origin.
    expect(await upgrade(app, { origin: app.url.replace('http:', 'https:'), cookie: cookies.alice })).toBe('refused')
    expect(await upgrade(app, { origin: 'null', cookie: cookies.alice })).toBe('refused')
    const refusals = warnings.filter((w) => w.includes('refused a socket from origin'))
    expect(refusals).toHaveLength(4)
    expect(refusals[0]).toContain('http://evil.example')
    expect(refusals[0]).toContain(app.url) // what the server sees itself as
    expect(refusals[0]).toContain('allowedOrigins')
    expect(refusals[0]).toContain('trustProxy')
    expect(refusals[1]).toContain('https://other.example')

    // A client inventing origins cannot grow the log (or the memory of what was logged) without bound.
    warnings.length = 0
    for (let i = 0; i < 150; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => upgrade(app, { origin: `http://invented-${i + j}.example`, cookie: cookies.alice })))
    }
    const invented = warnings.filter((w) => w.includes('refused a socket from origin')).length
    expect(invented).toBeGreaterThan(0)
    expect(invented).toBeLessThanOrEqual(100)
  })

  test('the refusal probe says bad_origin, unauthenticated or null, and creates no session', async () => {
    expect(await refusalFor(app.url, { cookie: cookies.alice, origin: app.url })).toBeNull()
    expect(await refusalFor(app.url, { cookie: cookies.alice, origin: 'http://evil.example' })).toBe(ErrorCode.BadOrigin)
    expect(await refusalFor(app.url, { origin: app.url })).toBe(ErrorCode.Unauthenticated)
    expect(await refusalFor(app.url, { origin: 'http://evil.example' })).toBe(ErrorCode.BadOrigin)
    expect(await refusalFor(app.url, { cookie: cookies.alice, origin: 'not a url' })).toBe(ErrorCode.BadOrigin)
    const anonymous = await fetch(`${app.url}${SOCKET_PATH}-status?origin=${encodeURIComponent(app.url)}`)
    expect(anonymous.headers.getSetCookie()).toEqual([])
    // The app's own routes are served as before, the probe being ahead of them.
    expect((await fetch(`${app.adminUrl}/login`)).status).toBe(200)
  })

  test('a 900 kB frame closes the connection unparsed; an event just above maxEventBytes gets payload_too_large', async () => {
    const maxEventBytes = app.collaboration.options.maxEventBytes
    const raw = await RawSocket.open(app.url, { cookie: cookies.dave })
    const recordId = 'x'.repeat(maxEventBytes)
    raw.emit(1, 'record:join', { ...post1, recordId, tabToken: newTabToken(), intent: 'show' })
    expect(await raw.ack(1)).toMatchObject({ ok: false, error: { code: ErrorCode.PayloadTooLarge } })
    // The socket lives on after a refused event.
    raw.emit(2, 'record:join', { ...post1, tabToken: newTabToken(), intent: 'show' })
    expect(await raw.ack(2)).toMatchObject({ ok: true })

    // 900 kB, under Socket.IO's own default limit (1 MB) but far above ours: the WebSocket refuses
    // it by its length (1009, message too big), before any parsing.
    const huge = 900_000
    raw.sendRaw(`42${JSON.stringify(['record:join', { ...post1, recordId: 'y'.repeat(huge), tabToken: newTabToken(), intent: 'show' }])}`)
    expect(await raw.whenClosed()).toBe(1009)

    // Several at once, from several sockets: all closed the same way, and the admin serves on.
    const flood = await Promise.all(Array.from({ length: 8 }, () => RawSocket.open(app.url, { cookie: cookies.dave })))
    const big = 'z'.repeat(huge)
    for (const socket of flood) socket.sendRaw(`42["chat:send",{"text":"${big}"}]`)
    for (const socket of flood) {
      expect(await socket.whenClosed()).toBe(1009)
    }
    const bob = await openSocket(app.url, { cookie: cookies.bob })
    try {
      const reply = unwrap(await request<JoinReply>(bob, 'record:join', { ...post1, tabToken: newTabToken(), intent: 'edit' }))
      expect(reply.lease?.tabId).toBe(reply.tabId)
    } finally {
      bob.close()
    }
  })
})

describe.each([
  ['trusted', true],
  ['not trusted', false],
] as const)('behind a TLS-terminating proxy (%s)', (_name, trustProxy) => {
  let app: TestApp
  let cookie: string
  const { warnings, logger } = collectingLogger()

  beforeAll(async () => {
    const options: Partial<CollaborationOptions> = { trustProxy }
    app = await startTestApp(options, { logger })
    cookie = (await loginAll(app)).alice
  })

  afterAll(async () => {
    await app?.close()
  })

  const host = () => new URL(app.url).host
  const https = () => `https://${host()}`
  const http = () => `http://${host()}`

  test('the origin must match scheme and host as the proxy reports them, only when the proxy is trusted', async () => {
    // The browser is on https://HOST; the proxy forwards plain HTTP with X-Forwarded-Proto: https.
    const viaProxy = { cookie, 'x-forwarded-proto': 'https' }
    if (trustProxy) {
      expect(await upgrade(app, { ...viaProxy, origin: https() })).toBe('open')
      // An http:// page is not the https:// admin.
      expect(await upgrade(app, { ...viaProxy, origin: http() })).toBe('refused')
      // A proxy that rewrites Host says so in X-Forwarded-Host.
      expect(await upgrade(app, { cookie, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'admin.example', origin: 'https://admin.example' })).toBe('open')
      expect(warnings.filter((w) => w.includes('refused a socket from origin'))).toHaveLength(1)
      expect(warnings.find((w) => w.includes(http()))).not.toContain('trustProxy: true')
    } else {
      // Without trustProxy the client cannot pick its own scheme or host with these headers.
      expect(await upgrade(app, { ...viaProxy, origin: https() })).toBe('refused')
      expect(await upgrade(app, { cookie, 'x-forwarded-host': 'evil.example', origin: 'http://evil.example' })).toBe('refused')
      expect(await upgrade(app, { ...viaProxy, origin: http() })).toBe('open')
      const refusal = warnings.find((w) => w.includes(https()))
      expect(refusal).toContain('trustProxy: true')
    }
    // The probe tells a page the same as the upgrade (it reads the same headers).
    const probe = async (origin: string, headers: Record<string, string>) => {
      const response = await fetch(`${app.url}${SOCKET_PATH}-status?origin=${encodeURIComponent(origin)}`, { headers: { cookie, ...headers } })
      return ((await response.json()) as { code: string | null }).code
    }
    expect(await probe(https(), { 'x-forwarded-proto': 'https' })).toBe(trustProxy ? null : ErrorCode.BadOrigin)
    expect(await probe(http(), { 'x-forwarded-proto': 'https' })).toBe(trustProxy ? ErrorCode.BadOrigin : null)
  })

  test('without forwarded headers the request is judged as it arrived: its own http origin connects', async () => {
    expect(await upgrade(app, { cookie, origin: http() })).toBe('open')
    const socket = await openSocket(app.url, { cookie, origin: http() })
    expect(socket.connected).toBe(true)
    socket.close()
  })
})

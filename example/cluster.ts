/**
 * `npm run example:cluster`: several processes of the example behind one address, sharing Redis
 * for the collaboration's state and for logins, as a deployment behind a load balancer would.
 *
 *   WORKERS    how many processes (default 2)
 *   PORT       the proxy's port (default 3000)
 *   HOST       the proxy's interface (default 127.0.0.1)
 *   REDIS_URL  default redis://127.0.0.1:6379 (start a redis-server first)
 *
 * What goes where: every WebSocket connection (the collaboration's sockets) goes to the next worker
 * in turn, so two users on one record are usually on different processes and see each other through
 * Redis. Every page, API call and save goes to worker 1: the example keeps its database (sql.js) in
 * each process's own memory, so worker 1's is the only one used; spreading HTTP as well would show
 * each user another database. A real deployment shares one database and spreads both.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { ROOT_PATH } from './app.js'
import { startProxy, type Backend } from './proxy.js'
import { loginLines } from './users.js'

interface Worker extends Backend {
  child: ChildProcess
  alive: boolean
}

function fail(message: string): never {
  console.error(message)
  process.exit(1)
}

function parseCount(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback
  const count = Number(value)
  if (!Number.isInteger(count) || count < min || count > max) fail(`${name} must be a whole number from ${min} to ${max}, got "${value}".`)
  return count
}

/** Never print a Redis password that may sit in the URL. */
function redactUrl(url: URL): string {
  const copy = new URL(url)
  if (copy.password) copy.password = '***'
  return copy.toString()
}

/** A clear message now beats N workers that cannot log anyone in. */
async function checkReachable(url: URL): Promise<void> {
  const port = Number(url.port || 6379)
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1'
  await new Promise<void>((resolve) => {
    const socket = net.connect(port, host, () => {
      socket.destroy()
      resolve()
    })
    socket.setTimeout(2000, () => socket.destroy(new Error('timed out')))
    socket.once('error', (error) => fail(`Redis at ${redactUrl(url)} is not reachable (${error.message}). Start one (redis-server) or set REDIS_URL.`))
  })
}

const workerCount = parseCount('WORKERS', process.env.WORKERS, 2, 1, 16)
const port = parseCount('PORT', process.env.PORT, 3000, 0, 65535)
const host = process.env.HOST || '127.0.0.1'
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
let parsedRedisUrl: URL
try {
  parsedRedisUrl = new URL(redisUrl)
} catch {
  fail('REDIS_URL must be a redis:// URL.')
}
await checkReachable(parsedRedisUrl)

// One login cookie secret for all: a session written by one worker is read by the others.
const sessionSecret = process.env.SESSION_SECRET || randomBytes(32).toString('hex')
const serverScript = fileURLToPath(new URL('./server.ts', import.meta.url))
const workers: Worker[] = []

function startWorker(index: number): Promise<Worker> {
  const child = fork(serverScript, [], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redisUrl,
      SESSION_SECRET: sessionSecret,
      // Only worker 1 serves pages (see above), so only it bundles the components.
      BUNDLE: index === 0 ? 'build' : 'none',
    },
    // Its own process group: Ctrl+C reaches this process only, which stops the workers in order.
    detached: true,
  })
  const worker: Worker = { name: `worker ${index + 1} (pid ${child.pid})`, host: '127.0.0.1', port: 0, child, alive: true }
  child.once('exit', (code, signal) => {
    worker.alive = false
    if (stopping) return
    console.error(`${worker.name} exited (${signal ?? `code ${code}`}).`)
    if (index === 0) {
      console.error('Worker 1 served the pages: stopping the cluster.')
      void stopAll(1)
    } else if (workers.some((other) => other.alive)) {
      console.error('Its sockets reconnect to the other workers.')
    }
  })
  return new Promise((resolve, reject) => {
    child.once('message', (message: { listening?: number }) => {
      worker.port = message.listening ?? 0
      resolve(worker)
    })
    child.once('exit', () => reject(new Error(`${worker.name} exited before it listened`)))
  })
}

let proxy: Awaited<ReturnType<typeof startProxy>> | undefined
let stopping = false
async function stopAll(exitCode: number): Promise<void> {
  if (stopping) return
  stopping = true
  proxy?.close()
  proxy?.closeAllConnections()
  const exits = workers.filter((worker) => worker.alive).map((worker) => new Promise((resolve) => worker.child.once('exit', resolve)))
  for (const worker of workers) if (worker.alive) worker.child.kill('SIGTERM')
  const forced = setTimeout(() => {
    console.error('Workers took longer than 12 s to stop: exiting anyway.')
    for (const worker of workers) if (worker.alive) worker.child.kill('SIGKILL')
    process.exit(1)
  }, 12_000)
  forced.unref()
  await Promise.all(exits)
  process.exit(exitCode)
}
process.on('SIGINT', () => void stopAll(0))
process.on('SIGTERM', () => void stopAll(0))

// Listening first: a busy port fails now, not after the workers have started.
try {
  proxy = await startProxy({
    host,
    port,
    http: () => (workers[0]?.alive ? workers[0] : undefined),
    websocket: () => workers.filter((worker) => worker.alive),
    log: (message) => console.log(message),
  })
} catch (error) {
  fail(`The proxy cannot listen on ${host}:${port}: ${(error as Error).message}`)
}
console.log(`Starting ${workerCount} workers…`)
try {
  for (let index = 0; index < workerCount; index += 1) workers.push(await startWorker(index))
} catch (error) {
  console.error(String(error))
  await stopAll(1)
}
const address = proxy.address() as net.AddressInfo
const shownHost = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
console.log(
  [
    '',
    `AdminJS collaborator example, ${workerCount} processes: http://${shownHost}:${address.port}${ROOT_PATH}`,
    `Workers: ${workers.map((worker) => worker.name).join(', ')}`,
    `Shared through Redis at ${redactUrl(parsedRedisUrl)}: locks, presence, chat, live updates and logins.`,
    '',
    'WebSocket connections go to the workers in turn: open one record as two users (two browsers,',
    'or a private window) and they sit on different processes, yet see each other.',
    'Pages and saves all go to worker 1. Each process keeps the example database (sql.js) in its own',
    "memory, so the other workers' copies are never used; a real deployment shares one database.",
    '',
    ...loginLines(),
    '',
    'Ctrl+C stops the proxy and every worker.',
    '',
  ].join('\n'),
)

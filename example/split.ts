/**
 * `npm run example:split`: the example with its sockets apart from the admin (#15): one admin
 * process (pages, logins, saves, connection tokens) and two socket processes behind one address,
 * all on one Redis, as a deployment with a socket tier of its own would run.
 *
 *   PORT          the admin's port (default 3000)
 *   SOCKETS_PORT  the socket tier's address, spread over its processes (default 3001)
 *   REDIS_URL     default redis://127.0.0.1:6379 (start a redis-server first)
 *
 * The pages connect to the socket tier's address (another origin than the admin's) with a token
 * they fetch from the admin for every connection; every WebSocket goes to the next socket process
 * in turn, so two users are usually on different processes and see each other through Redis.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { ROOT_PATH } from './app.js'
import { startProxy, type Backend } from './proxy.js'
import { loginLines } from './users.js'

const host = '127.0.0.1'
const port = Number(process.env.PORT || 3000)
const socketsPort = Number(process.env.SOCKETS_PORT || 3001)
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
const tokenSecret = randomBytes(32).toString('hex')
const sessionSecret = randomBytes(32).toString('hex')
const children: ChildProcess[] = []

/** Starts a script of this folder with an IPC channel; resolves with the port it reports. */
function start(script: string, env: Record<string, string>): Promise<Backend> {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), [], { env: { ...process.env, ...env }, detached: true })
  children.push(child)
  return new Promise((resolve, reject) => {
    child.once('message', (message: { listening?: number }) => resolve({ name: `${script} (pid ${child.pid})`, host, port: message.listening ?? 0 }))
    child.once('exit', (code) => reject(new Error(`${script} exited (code ${code}) before it listened`)))
  })
}

let stopping = false
async function stopAll(code: number): Promise<void> {
  if (stopping) return
  stopping = true
  const exits = children.filter((child) => child.exitCode === null).map((child) => new Promise((resolve) => child.once('exit', resolve)))
  for (const child of children) child.kill('SIGTERM')
  setTimeout(() => process.exit(1), 12_000).unref()
  await Promise.all(exits)
  process.exit(code)
}
process.on('SIGINT', () => void stopAll(0))
process.on('SIGTERM', () => void stopAll(0))

const socketProcesses: Backend[] = []
await startProxy({ host, port: socketsPort, http: () => undefined, websocket: () => socketProcesses, log: (message) => console.log(message) })
try {
  const adminOrigin = `http://${host}:${port}`
  for (let i = 0; i < 2; i++)
    socketProcesses.push(await start('./sockets.ts', { PORT: '0', HOST: host, REDIS_URL: redisUrl, TOKEN_SECRET: tokenSecret, ADMIN_ORIGIN: adminOrigin }))
  await start('./server.ts', {
    PORT: String(port),
    HOST: host,
    REDIS_URL: redisUrl,
    SESSION_SECRET: sessionSecret,
    SOCKET_URL: `http://${host}:${socketsPort}`,
    TOKEN_SECRET: tokenSecret,
    BUNDLE: process.env.BUNDLE || 'build',
  })
} catch (error) {
  console.error(String(error))
  await stopAll(1)
}
console.log(
  [
    '',
    `AdminJS collaborator example, sockets apart: http://${host}:${port}${ROOT_PATH}`,
    `Socket tier: http://${host}:${socketsPort} (${socketProcesses.map((backend) => backend.name).join(', ')})`,
    '',
    ...loginLines(),
    '',
    'Ctrl+C stops every process.',
    '',
  ].join('\n'),
)

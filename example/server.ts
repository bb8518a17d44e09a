/**
 * `npm run example`: the example admin on http://127.0.0.1:3000/admin with components rebuilt on change.
 *
 *   PORT       port to listen on (default 3000; 0 picks a free one)
 *   HOST       interface to bind (default 127.0.0.1; 0.0.0.0 to reach it from other machines)
 *   REDIS_URL  redis://… to share collaboration state and logins between several example
 *              processes; absent keeps them in this process's memory
 *   BUNDLE     watch (default) | build | none: how the admin's components are bundled
 *   SESSION_SECRET  the login cookie's secret (default: random); processes sharing logins need one
 *   SOCKET_URL, TOKEN_SECRET  sockets served by processes of their own (split.ts sets both)
 *
 * Started by cluster.ts (with an IPC channel), it reports its port there instead of printing the
 * banner, and stops when that channel closes.
 */
import { startExampleApp } from './app.js'
import { loginLines } from './users.js'

function parsePort(value: string): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number (0-65535), got "${value}".`)
    process.exit(1)
  }
  return port
}

/** Never print a Redis password that may sit in the URL. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparsable URL)'
  }
}

function parseBundle(value: string | undefined): 'watch' | 'build' | 'none' {
  if (value === undefined || value === '') return 'watch'
  if (value === 'watch' || value === 'build' || value === 'none') return value
  console.error(`BUNDLE must be watch, build or none, got "${value}".`)
  process.exit(1)
}

const redisUrl = process.env.REDIS_URL || undefined
const sessionSecret = process.env.SESSION_SECRET || undefined
const app = await startExampleApp({
  port: parsePort(process.env.PORT ?? '3000'),
  host: process.env.HOST || '127.0.0.1',
  redisUrl,
  bundle: parseBundle(process.env.BUNDLE),
  sessionSecret,
  ...(process.env.SOCKET_URL ? { socketUrl: process.env.SOCKET_URL, tokenSecret: process.env.TOKEN_SECRET } : {}),
})
const worker = typeof process.send === 'function'

const store =
  app.collaboration.storeKind === 'redis' && redisUrl
    ? `Redis at ${redactUrl(redisUrl)} (state shared by every process using it)`
    : 'memory (this process only; set REDIS_URL to share state between processes)'
const banner = [
  '',
  `AdminJS collaborator example: ${app.adminUrl}`,
  `Collaboration store: ${store}`,
  '',
  ...loginLines(),
  '',
  'Open a record in two browsers (or a private window) as two users to see the edit lock, presence and chat.',
  'Ctrl+C stops the server.',
  '',
]
if (worker) {
  // The cluster prints the banner, with its own address.
  console.log(`Worker ${process.pid} listening on ${app.url}`)
  process.send!({ listening: app.port })
} else {
  console.log(banner.join('\n'))
}

let stopping = false
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    console.error(`${signal} again: exiting without waiting.`)
    process.exit(1)
  }
  stopping = true
  console.log(`${signal}: closing…`)
  // A hung close must not leave the terminal blocked.
  const forced = setTimeout(() => {
    console.error('Close took longer than 10 s: exiting anyway.')
    process.exit(1)
  }, 10_000)
  forced.unref()
  try {
    await app.close()
    // Exit explicitly: admin.watch() leaves a rollup watcher running that cannot be stopped.
    process.exit(0)
  } catch (error) {
    console.error('Closing failed:', error)
    process.exit(1)
  }
}
process.on('SIGINT', (signal) => void stop(signal))
process.on('SIGTERM', (signal) => void stop(signal))
// The cluster that started this worker is gone: do not linger without it.
if (worker) process.on('disconnect', () => void stop('SIGTERM'))

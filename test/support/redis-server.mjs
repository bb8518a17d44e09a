/**
 * Starts a throwaway redis-server on a free port, keeping nothing on disk.
 * Used by the test run (global setup) and by tests that kill, pause or restart Redis.
 */
import { spawn } from 'node:child_process'
import net from 'node:net'

/**
 * A port nothing listens on now, for a server the caller starts next. Picked below Linux's
 * ephemeral range (32768-60999 by default), where the OS takes the source ports of outgoing
 * connections and the ports of listen(0): with hundreds of sockets opening in a test run, a port
 * from that range can be taken as a source port between this check and the server's bind, and the
 * server then fails with EADDRINUSE (a cluster node's bus port too). Below it only another caller
 * of this function can collide, which the launchers retry.
 */
export async function freePort() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000)
    if (await canListen(port)) return port
  }
  throw new Error('no free port found in 20000-31999')
}

function canListen(port) {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.unref()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** A redis-server that exited because a port of its was taken (another process bound it first). */
export const portTaken = (error) => /Address already in use|bind: /i.test(String(error?.message))

/** Runs `start(port)` on a free port, again on another one while the port turns out to be taken. */
export async function onFreePort(start, attempts = 5) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort())
    } catch (error) {
      if (!portTaken(error) || attempt >= attempts) throw error
    }
  }
}

/** Resolves when the server answers on its port; rejects with its output if it exits first. */
export async function startRedisServer(port) {
  const start = (at) => spawnRedisServer(at, ['--save', '', '--appendonly', 'no'], 'redis-server')
  return port === undefined ? onFreePort(start) : start(port)
}

/**
 * A redis-server on `port` (on 127.0.0.1, quiet logs) with `args` of the caller's (a cluster node's
 * too): resolves with a handle once it answers, rejects with its output if it exits first.
 */
export async function spawnRedisServer(port, args, label) {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...args, '--loglevel', 'warning'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  await new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`${label} exited with ${code}: ${output}`))
    child.once('exit', onExit)
    child.once('error', reject)
    const tryConnect = () => {
      const socket = net.connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        child.off('exit', onExit)
        resolve()
      })
      socket.once('error', () => setTimeout(tryConnect, 20))
    }
    tryConnect()
  })
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    },
  }
}

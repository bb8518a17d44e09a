/**
 * Starts a throwaway redis-server on a port the OS picks, keeping nothing on disk.
 * Used by the test run (global setup) and by tests that kill, pause or restart Redis.
 */
import { spawn } from 'node:child_process'
import net from 'node:net'

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Resolves when the server answers on its port; rejects with its output if it exits first. */
export async function startRedisServer(port) {
  port = port ?? (await freePort())
  return spawnRedisServer(port, ['--save', '', '--appendonly', 'no'], 'redis-server')
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

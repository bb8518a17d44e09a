/**
 * A TCP proxy in front of Redis that holds every request for `delayMs` before passing it on (the
 * replies come back at once), so that each round trip to Redis costs that much more. An operation
 * that waits for k round trips in a row gets k x delayMs slower: the growth of its latency counts
 * the round trips on its path. A command sent and not waited for reaches Redis delayMs later, after
 * the operation has answered, which is how MONITOR's timestamps tell the two kinds apart.
 */
import net from 'node:net'

export interface DelayProxy {
  url: string
  /** Changes the delay of requests from now on (order is kept across a change). */
  setDelay(ms: number): void
  close(): Promise<void>
}

export async function startDelayProxy(target: string): Promise<DelayProxy> {
  const { hostname, port } = new URL(target)
  let delayMs = 0
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname)
    // As ioredis and Redis do on their own sockets: without it, a small write behind an unacknowledged
    // one waits for the peer's delayed ACK (40 ms on Linux), which B8 then counted as round trips.
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    sockets.add(client).add(upstream)
    // Held requests in arrival order, sent by one timer: a later one never overtakes an earlier one.
    const held: Array<{ due: number; chunk: Buffer }> = []
    let timer: NodeJS.Timeout | undefined
    const pump = () => {
      timer = undefined
      while (held.length && held[0]!.due <= performance.now() + 0.5) upstream.write(held.shift()!.chunk)
      if (held.length) timer = setTimeout(pump, Math.max(1, held[0]!.due - performance.now()))
    }
    client.on('data', (chunk: Buffer) => {
      if (!held.length && delayMs <= 0) return void upstream.write(chunk)
      held.push({ due: performance.now() + delayMs, chunk })
      timer ??= setTimeout(pump, Math.max(1, held[0]!.due - performance.now()))
    })
    client.on('close', () => clearTimeout(timer))
    upstream.on('data', (chunk) => client.write(chunk))
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      from.on('error', () => undefined)
      from.on('close', () => {
        sockets.delete(from)
        to.destroy()
      })
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return {
    url: `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    setDelay(ms) {
      delayMs = ms
    },
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

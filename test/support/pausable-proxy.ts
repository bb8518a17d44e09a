/**
 * A TCP proxy (node:net) that can go silent: `cut()` stops forwarding in both directions without
 * closing, resetting or ending anything, as a network that drops every packet would look to both
 * ends (a laptop lid closed, a Wi-Fi gone). Nothing is read from either side meanwhile, so bytes,
 * and a FIN or an error, wait in the kernel's buffers; `restore()` forwards them all, in order.
 *
 * While cut, neither end learns anything from the proxy: a close on one side is not passed on.
 */
import net from 'node:net'

export interface PausableProxy {
  port: number
  url: string
  /** Connections accepted so far. */
  connections(): number
  cut(): void
  restore(): void
  isCut(): boolean
  /** Destroys every connection and stops listening. */
  close(): Promise<void>
}

export async function startPausableProxy(target: { host: string; port: number }): Promise<PausableProxy> {
  let cut = false
  let accepted = 0
  const pairs = new Set<[net.Socket, net.Socket]>()

  const server = net.createServer((client) => {
    accepted += 1
    const upstream = net.connect(target.port, target.host)
    const pair: [net.Socket, net.Socket] = [client, upstream]
    pairs.add(pair)
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      // Not pipe(): a piped source may be resumed by its destination's 'drain' while cut.
      from.on('data', (chunk) => to.write(chunk))
      from.on('end', () => to.end())
      from.on('error', () => undefined)
      from.on('close', () => {
        if (!cut) to.destroy()
        if (client.destroyed && upstream.destroyed) pairs.delete(pair)
      })
      if (cut) from.pause()
    }
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as net.AddressInfo

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    cut() {
      cut = true
      for (const pair of pairs) for (const socket of pair) socket.pause()
    },
    restore() {
      cut = false
      for (const pair of pairs) {
        // A side that closed while cut: its peer hears of it now.
        if (pair.some((socket) => socket.destroyed)) for (const socket of pair) socket.destroy()
        else for (const socket of pair) socket.resume()
      }
    },
    isCut: () => cut,
    close() {
      cut = false
      for (const pair of pairs) for (const socket of pair) socket.destroy()
      pairs.clear()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** Reads the bench's own redis-server: INFO sections as numbers, command counts by command. */
import { Redis } from 'ioredis'

export type CommandCounts = Record<string, number>

/** Commands the bench's own monitoring connection sends; never counted as the server's. */
const OURS = new Set(['info', 'config|resetstat', 'config', 'client|setname', 'client|setinfo', 'hello', 'ping'])

export class RedisProbe {
  readonly client: Redis

  constructor(url: string) {
    this.client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 })
  }

  async info(section: string): Promise<Record<string, string>> {
    const text = await this.client.info(section)
    const fields: Record<string, string> = {}
    for (const line of text.split('\r\n')) {
      const at = line.indexOf(':')
      if (at > 0 && !line.startsWith('#')) fields[line.slice(0, at)] = line.slice(at + 1)
    }
    return fields
  }

  /** Calls per command since the server started (or the last CONFIG RESETSTAT), ours left out. */
  async commandCounts(): Promise<CommandCounts> {
    const fields = await this.info('commandstats')
    const counts: CommandCounts = {}
    for (const [key, value] of Object.entries(fields)) {
      const command = key.replace(/^cmdstat_/, '')
      if (OURS.has(command)) continue
      const calls = /calls=(\d+)/.exec(value)?.[1]
      if (calls) counts[command] = Number(calls)
    }
    return counts
  }

  async connectedClients(): Promise<number> {
    return Number((await this.info('clients')).connected_clients)
  }

  async usedMemory(): Promise<number> {
    return Number((await this.info('memory')).used_memory)
  }

  async version(): Promise<string> {
    return (await this.info('server')).redis_version ?? 'unknown'
  }

  /**
   * Every command Redis receives from now on, as MONITOR reports it, without the ones scripts run
   * inside Redis (those are no round trips) and without the bench's own connections.
   */
  async monitor(): Promise<Monitor> {
    const connection = await this.monitoringConnection()
    const events: MonitorEvent[] = []
    const ours = new Set<string>()
    const self = await this.client.client('INFO').catch(() => '')
    const address = /addr=(\S+)/.exec(String(self))?.[1]
    if (address) ours.add(address)
    connection.on('monitor', (time: string, args: string[], source: string) => {
      if (source === 'lua' || ours.has(source) || !args[0]) return
      const command = args[0].toLowerCase()
      if (command === 'monitor') return
      events.push({ atMs: Number(time) * 1000, command, source })
    })
    return {
      events,
      stop: () => connection.disconnect(),
    }
  }

  /**
   * A connection in MONITOR mode, as `client.monitor()` makes one, but kept in hand: ioredis enters
   * monitoring mode a microtask after MONITOR's OK, so when Redis is busy the OK and the first
   * monitored command arrive in one read, that command meets an empty queue and the connection
   * emits "Command queue state error" (`monitor()` rejects and leaves it open). Such a connection
   * is closed here, and another one tried. Its 'error' listener stays for good: the rest of that
   * read is parsed in the same turn, each monitored line another such error, and one with no
   * listener would end the bench (seen in a CI run).
   */
  private async monitoringConnection(attempts = 5): Promise<Redis> {
    for (let attempt = 1; ; attempt++) {
      const connection = this.client.duplicate({ monitor: true, lazyConnect: false })
      try {
        await new Promise<void>((resolve, reject) => {
          // Left on for good, as ioredis's monitor() leaves it: a later error is not thrown.
          connection.on('error', reject)
          connection.once('monitoring', resolve)
        })
        return connection
      } catch (error) {
        connection.disconnect()
        if (attempt >= attempts) throw error
      }
    }
  }

  close(): void {
    this.client.disconnect()
  }
}

export interface MonitorEvent {
  /** Redis's clock, ms. */
  atMs: number
  command: string
  /** The client's address. */
  source: string
}

export interface Monitor {
  events: MonitorEvent[]
  stop(): void
}

export function countEvents(events: readonly MonitorEvent[]): CommandCounts {
  const counts: CommandCounts = {}
  for (const event of events) counts[event.command] = (counts[event.command] ?? 0) + 1
  return counts
}

/** after - before, per command, zeros left out. */
export function countDelta(before: CommandCounts, after: CommandCounts): CommandCounts {
  const delta: CommandCounts = {}
  for (const [command, calls] of Object.entries(after)) {
    const diff = calls - (before[command] ?? 0)
    if (diff > 0) delta[command] = diff
  }
  return delta
}

export function total(counts: CommandCounts): number {
  return Object.values(counts).reduce((sum, calls) => sum + calls, 0)
}

export function scriptCalls(counts: CommandCounts): number {
  return (counts.evalsha ?? 0) + (counts.eval ?? 0)
}

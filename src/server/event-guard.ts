/**
 * Checks every incoming event before any handler sees it: a known name, an acknowledgement
 * callback, a bounded size, and a per-socket rate (token bucket). A refused event is answered
 * with an error acknowledgement and goes no further, so other users never notice it.
 */
import type { Socket } from 'socket.io'
import { ErrorCode, type Ack } from '../protocol.js'

export interface EventGuardOptions {
  knownEvents: ReadonlySet<string>
  maxEventBytes: number
  eventsPerSecond: number
}

type Packet = [string, ...unknown[]]

/** Bytes of the event's arguments as JSON; a value JSON cannot encode counts as too large. */
function payloadBytes(args: unknown[]): number {
  try {
    return Buffer.byteLength(JSON.stringify(args.filter((arg) => typeof arg !== 'function')) ?? '')
  } catch {
    return Number.POSITIVE_INFINITY
  }
}

function createTokenBucket(perSecond: number) {
  const capacity = perSecond * 2
  let tokens = capacity
  let last = Date.now()
  return () => {
    const now = Date.now()
    tokens = Math.min(capacity, tokens + ((now - last) / 1000) * perSecond)
    last = now
    if (tokens < 1) return false
    tokens -= 1
    return true
  }
}

export function guardEvents(socket: Socket, options: EventGuardOptions): void {
  const take = createTokenBucket(options.eventsPerSecond)
  socket.use((packet: Packet, next) => {
    const [event, ...args] = packet
    const ack = args[args.length - 1]
    const reply = typeof ack === 'function' ? (ack as (reply: Ack<never>) => void) : undefined
    const refuse = (code: ErrorCode, message: string) => reply?.({ ok: false, error: { code, message } })
    if (!take()) return refuse(ErrorCode.RateLimited, `more than ${options.eventsPerSecond} events per second`)
    if (!options.knownEvents.has(event)) return refuse(ErrorCode.UnknownEvent, `unknown event ${JSON.stringify(String(event)).slice(0, 80)}`)
    // An event without an acknowledgement callback could never be told it failed: drop it here.
    if (!reply) return
    const bytes = payloadBytes(args)
    if (bytes > options.maxEventBytes) return refuse(ErrorCode.PayloadTooLarge, `payload of ${bytes} bytes exceeds ${options.maxEventBytes}`)
    next()
  })
}

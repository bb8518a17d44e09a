/**
 * The one way from a socket's packet to a handler. Handlers are never registered with
 * `socket.on`: a single `socket.use` middleware takes every incoming event, checks it, and calls
 * the handler itself with exactly one validated payload and one acknowledgement. It never calls
 * `next()`, so Socket.IO's own dispatch, which would hand a listener whatever arguments a client
 * put in the frame, is never reached.
 *
 * Checked in this order, each refusal answered with its code (or dropped when there is no ack):
 * rate (token bucket), a registered name, the argument shape `(payload, ack)`, the size, the
 * payload's schema. Whatever a handler throws or rejects with becomes an error acknowledgement;
 * nothing can escape as an unhandled rejection or a crash.
 */
import type { z } from 'zod'
import { ErrorCode, type Ack, type AckError, type ClientToServerEvents } from '../protocol.js'
import { AckFailure } from './ack-failure.js'
import { StoreUnavailableError } from '../store/store.js'
import type { CollabSocket } from './context.js'

export type Logger = Pick<Console, 'error' | 'warn' | 'info'>

export type EventName = keyof ClientToServerEvents
/** What a client sends with `event`, per the protocol. */
export type PayloadOf<E extends EventName> = Parameters<ClientToServerEvents[E]>[0]
/** What the server acknowledges `event` with, per the protocol. */
export type ReplyOf<E extends EventName> = Parameters<ClientToServerEvents[E]>[1] extends (reply: Ack<infer T>) => void ? T : never

/**
 * Handlers are registered once for the whole server and get the socket with each event: nothing is
 * created per connection but the socket's lane below (10,000 idle sockets would otherwise each keep
 * a closure per handler).
 */
export type Handler<E extends EventName> = (socket: CollabSocket, payload: PayloadOf<E>) => Promise<ReplyOf<E>>

export interface EventRouterOptions {
  maxEventBytes: number
  eventsPerSecond: number
  logger: Logger
  /**
   * Asked right before each handler runs: a refusal answers the event instead. The server ends a
   * socket (session over) a moment after saying so, so that the refused event's ack still goes
   * out; events already queued behind it must not run meanwhile.
   */
  gate?: (socket: CollabSocket) => AckError | null
}

/**
 * Events of one socket run one after another, in the order they arrived: a join, a leave and a
 * join again of one tab never interleave halfway. Past this many waiting, an event is refused
 * (a slow store must not let one socket queue without bound).
 */
const MAX_QUEUED_EVENTS = 32

export interface EventRouter {
  /** The handler of `event`, typed by the protocol; its payload is checked by `schema` first. */
  on<E extends EventName>(event: E, schema: z.ZodType<PayloadOf<E>, unknown>, handler: Handler<E>): void
  /** The registered event names: a name not here is answered `unknown_event`. */
  events(): string[]
  /** Takes every event of this socket from now on (once per connection). */
  attach(socket: CollabSocket): void
}

type AnyAck = (reply: Ack<unknown>) => void

interface Route {
  schema: z.ZodType<unknown, unknown>
  handler: (socket: CollabSocket, payload: unknown) => Promise<unknown>
}

/**
 * What the router keeps per socket: its token bucket (`eventsPerSecond`, a burst of twice that),
 * its queue of events waiting for the one before them, and whether its bad argument shape was
 * logged. Just numbers and one promise while events wait; nothing at all per handler.
 */
class Lane {
  tokens: number
  last = Date.now()
  queued = 0
  /** The last event's turn while any event of this socket waits or runs; undefined when idle. */
  tail: Promise<void> | undefined = undefined
  shapeLogged = false

  constructor(
    readonly socket: CollabSocket,
    readonly perSecond: number,
  ) {
    this.tokens = perSecond * 2
  }

  take(): boolean {
    const now = Date.now()
    this.tokens = Math.min(this.perSecond * 2, this.tokens + ((now - this.last) / 1000) * this.perSecond)
    this.last = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}

/** Bytes of the payload as JSON; a value JSON cannot encode counts as too large. */
function payloadBytes(payload: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(payload) ?? '')
  } catch {
    return Number.POSITIVE_INFINITY
  }
}

/** A name fit for an error message and a log line, whatever the client sent as the event. */
function printable(event: unknown): string {
  return JSON.stringify(String(event)).slice(0, 80)
}

/**
 * Hands the client's ack its reply; a failing write to a closed socket is not our error. Each
 * event's ack is called exactly once by construction (one refusal, or dispatch's one answer), so
 * no wrapper per event is made to guard it.
 */
function answer(ack: AnyAck, reply: Ack<unknown>): void {
  try {
    ack(reply)
  } catch {
    // The socket is gone: there is nobody to tell.
  }
}

/** Answers a refused event, when the client asked for an answer. */
function refuse(ack: AnyAck | undefined, code: ErrorCode, message: string): void {
  if (ack) answer(ack, failure(code, message))
}

function failure(code: ErrorCode, message: string): Ack<never> {
  return { ok: false, error: { code, message } }
}

function errorReply(event: string, error: unknown, logger: Logger): AckError {
  if (error instanceof AckFailure) return error.toAckError()
  if (error instanceof StoreUnavailableError) return { code: ErrorCode.StoreUnavailable, message: 'the collaboration store is unreachable; retrying' }
  logger.error(`adminjs-collaborator: ${event} failed`, error)
  return { code: ErrorCode.Internal, message: 'internal error' }
}

export function createEventRouter(options: EventRouterOptions): EventRouter {
  const routes = new Map<string, Route>()

  const logShape = (lane: Lane, event: unknown, argCount: number) => {
    // Once per socket: a hostile client must not be able to flood the log.
    if (lane.shapeLogged) return
    lane.shapeLogged = true
    options.logger.warn(`adminjs-collaborator: socket ${lane.socket.id} sent ${printable(event)} with ${argCount} argument(s) instead of (payload, ack); refused`)
  }

  /**
   * Runs one event of `lane` and answers it; never rejects. The last event of the lane to finish
   * lets the chain go: an idle socket keeps no promise.
   */
  const dispatch = async (lane: Lane, event: string, route: Route, payload: unknown, ack: AnyAck): Promise<void> => {
    try {
      const closed = options.gate?.(lane.socket)
      if (closed) return answer(ack, { ok: false, error: closed })
      const parsed = route.schema.safeParse(payload)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        const where = issue?.path.length ? `${issue.path.join('.')}: ` : ''
        return answer(ack, failure(ErrorCode.InvalidPayload, `${event}: ${where}${issue?.message ?? 'invalid'}`))
      }
      let reply: Ack<unknown>
      try {
        reply = { ok: true, data: await route.handler(lane.socket, parsed.data) }
      } catch (error) {
        reply = { ok: false, error: errorReply(event, error, options.logger) }
      }
      answer(ack, reply)
    } catch (error) {
      // Only a bug in dispatch itself gets here; still no unhandled rejection.
      options.logger.error(`adminjs-collaborator: dispatching ${event} failed`, error)
    } finally {
      lane.queued -= 1
      if (lane.queued === 0) lane.tail = undefined
    }
  }

  // Per event, only what it needs: no closure, no copy of the packet's arguments.
  const receive = (lane: Lane, packet: unknown[]) => {
    const event = packet[0]
    const argCount = packet.length - 1
    const last = packet[argCount]
    const ack = argCount > 0 && typeof last === 'function' ? (last as AnyAck) : undefined
    if (!lane.take()) return refuse(ack, ErrorCode.RateLimited, `more than ${options.eventsPerSecond} events per second`)
    const route = typeof event === 'string' ? routes.get(event) : undefined
    if (!route) return refuse(ack, ErrorCode.UnknownEvent, `unknown event ${printable(event)}`)
    // Exactly a payload and an acknowledgement. Without an ack nobody could be told it failed.
    if (!ack || argCount !== 2) {
      logShape(lane, event, argCount)
      return refuse(ack, ErrorCode.InvalidPayload, `${String(event)}: expected (payload, acknowledgement)`)
    }
    const payload = packet[1]
    const bytes = payloadBytes(payload)
    if (bytes > options.maxEventBytes) return refuse(ack, ErrorCode.PayloadTooLarge, `payload of ${bytes} bytes exceeds ${options.maxEventBytes}`)
    if (lane.queued >= MAX_QUEUED_EVENTS) return refuse(ack, ErrorCode.RateLimited, `more than ${MAX_QUEUED_EVENTS} events waiting for an answer`)
    lane.queued += 1
    // An idle lane runs the event at once (its store request goes out in this turn); a busy one
    // after the event before it. dispatch never rejects, so the chain never breaks.
    const before = lane.tail
    const turn = before ? before.then(() => dispatch(lane, event as string, route, payload, ack)) : dispatch(lane, event as string, route, payload, ack)
    // Refused without waiting for anything (gate, schema), the event is done already: keep nothing.
    if (lane.queued > 0) lane.tail = turn
  }

  return {
    on(event, schema, handler) {
      if (routes.has(event)) throw new Error(`adminjs-collaborator: ${event} has two handlers`)
      routes.set(event, { schema: schema as Route['schema'], handler: handler as Route['handler'] })
    },
    events: () => [...routes.keys()],
    attach(socket) {
      const lane = new Lane(socket, options.eventsPerSecond)
      // `_next` is never called: the event ends here, answered or dropped. (An anonymous arrow:
      // the one function this socket gets.)
      socket.use((packet, _next) => {
        try {
          receive(lane, packet as unknown[])
        } catch (error) {
          options.logger.error('adminjs-collaborator: receiving an event failed', error)
        }
      })
    },
  }
}

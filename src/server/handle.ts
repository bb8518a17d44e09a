/**
 * Registers one event handler with its schema. The payload is validated before the handler runs;
 * whatever the handler returns is acknowledged as `{ ok: true, data }`, an AckFailure as its code,
 * and anything unexpected as `internal` after logging it. No error is swallowed silently.
 */
import type { Socket } from 'socket.io'
import type { z } from 'zod'
import { ErrorCode, type Ack } from '../protocol.js'
import { AckFailure } from './ack-failure.js'

export type Logger = Pick<Console, 'error' | 'warn' | 'info'>

/** Errors from the store that mean "Redis is not reachable", not a bug of ours. */
export function isStoreUnavailable(error: unknown): boolean {
  const text = error instanceof Error ? `${error.name} ${error.message}` : ''
  return /Connection is closed|Stream isn't writeable|ECONNREFUSED|Command timed out|MaxRetriesPerRequest|enableOfflineQueue|StoreUnavailable/i.test(text)
}

export function handle<S extends z.ZodTypeAny, T>(
  socket: Socket,
  event: string,
  schema: S,
  handler: (payload: z.infer<S>) => Promise<T>,
  logger: Logger,
): void {
  socket.on(event, async (payload: unknown, ack: (reply: Ack<T>) => void) => {
    const parsed = schema.safeParse(payload)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : ''
      ack({ ok: false, error: { code: ErrorCode.InvalidPayload, message: `${event}: ${where}${issue?.message ?? 'invalid'}` } })
      return
    }
    try {
      ack({ ok: true, data: await handler(parsed.data) })
    } catch (error) {
      if (error instanceof AckFailure) return ack({ ok: false, error: error.toAckError() })
      if (isStoreUnavailable(error)) {
        return ack({ ok: false, error: { code: ErrorCode.StoreUnavailable, message: 'the collaboration store is unreachable; retrying' } })
      }
      logger.error(`adminjs-collaborator: ${event} failed`, error)
      ack({ ok: false, error: { code: ErrorCode.Internal, message: 'internal error' } })
    }
  })
}

/**
 * Registers one event handler with its schema. The payload is validated before the handler runs;
 * whatever the handler returns is acknowledged as `{ ok: true, data }`, an AckFailure as its code,
 * and anything unexpected as `internal` after logging it. No error is swallowed silently.
 */
import type { Socket } from 'socket.io'
import type { z } from 'zod'
import { ErrorCode, type Ack } from '../protocol.js'
import { AckFailure } from './ack-failure.js'
import { StoreUnavailableError } from '../store/store.js'

export type Logger = Pick<Console, 'error' | 'warn' | 'info'>

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
      if (error instanceof StoreUnavailableError) {
        return ack({ ok: false, error: { code: ErrorCode.StoreUnavailable, message: 'the collaboration store is unreachable; retrying' } })
      }
      logger.error(`adminjs-collaborator: ${event} failed`, error)
      ack({ ok: false, error: { code: ErrorCode.Internal, message: 'internal error' } })
    }
  })
}

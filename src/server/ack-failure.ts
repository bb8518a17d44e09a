import type { AckError, ErrorCode } from '../protocol.js'

/**
 * Thrown by a handler to answer its event with an error acknowledgement. The handler wrapper turns
 * it into `{ ok: false, error }`; anything else thrown is logged and answered as `internal`.
 */
export class AckFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** With `rate_limited`: when the same request will be accepted. */
    readonly retryInMs?: number,
  ) {
    super(message)
    this.name = 'AckFailure'
  }

  toAckError(): AckError {
    return this.retryInMs === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, retryInMs: this.retryInMs }
  }
}

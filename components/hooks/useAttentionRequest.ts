/**
 * A viewer's "please finish" to the editor. The server decides how often a user may ask (it
 * answers with `retryInMs`, or refuses with `rate_limited` and the same field); the button stays
 * disabled and counts down until then, so nobody learns the limit by being refused.
 */
import { useCallback, useEffect, useState } from 'react'
import { ErrorCode, type RecordRef } from '../../src/protocol'
import { useCollaborationSocket } from './collaboration-context'
import { request, type ClientError } from './request'

export interface AttentionRequest {
  ask: () => void
  /** True from the click until the server answered. */
  sending: boolean
  /** True once the server accepted the current request (until the wait is over). */
  sent: boolean
  /** Whole seconds until the next request is accepted; 0 when it may be sent now. */
  secondsLeft: number
  error: ClientError | null
  dismissError: () => void
}

export function useAttentionRequest({ resourceId, recordId }: RecordRef): AttentionRequest {
  const socket = useCollaborationSocket()
  const [sending, setSending] = useState(false)
  const [sent, setSent] = useState(false)
  const [untilMs, setUntilMs] = useState(0)
  const [nowMs, setNowMs] = useState(() => Date.now())
  const [error, setError] = useState<ClientError | null>(null)

  // Ticks once a second while waiting; stops when the wait is over.
  useEffect(() => {
    if (untilMs <= Date.now()) return undefined
    setNowMs(Date.now())
    const timer = setInterval(() => {
      const now = Date.now()
      setNowMs(now)
      if (now >= untilMs) {
        clearInterval(timer)
        setSent(false)
      }
    }, 1000)
    return () => clearInterval(timer)
  }, [untilMs])

  const waitFor = (retryInMs: number) => {
    const now = Date.now()
    setNowMs(now)
    setUntilMs(now + Math.max(0, retryInMs))
  }

  const ask = useCallback(() => {
    setSending(true)
    setError(null)
    void request(socket, 'attention:request', { resourceId, recordId }).then((reply) => {
      setSending(false)
      if (reply.ok) {
        setSent(true)
        waitFor(reply.data.retryInMs)
        return
      }
      const { code, retryInMs } = reply.error
      if (code === ErrorCode.RateLimited && typeof retryInMs === 'number') {
        waitFor(retryInMs)
        return
      }
      setError(reply.error)
    })
  }, [socket, resourceId, recordId])

  const dismissError = useCallback(() => setError(null), [])
  const secondsLeft = Math.max(0, Math.ceil((untilMs - nowMs) / 1000))
  return { ask, sending, sent: sent && secondsLeft > 0, secondsLeft, error, dismissError }
}

/**
 * Fetches the record again from the server, for the times the page knows its copy is old: this
 * tab just got the lock after someone else had it, or someone else saved. One fetcher per page, so
 * an answer that arrives after a newer request's answer is dropped instead of overwriting it.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiClient, type RecordJSON } from 'adminjs'
import { ErrorCode } from '../../src/protocol'
import type { ClientError } from './request'

/** The record action whose GET returns the record the way the page shows it. */
export type RecordActionName = 'edit' | 'show'

export interface FreshRecord {
  /** Resolves with the record, or with null when it failed (see `error`) or a newer fetch won. */
  fetchFresh: () => Promise<RecordJSON | null>
  /** True while a fetch is under way: the page shows old data until it lands. */
  loading: boolean
  error: ClientError | null
  dismissError: () => void
}

function failure(message: string): ClientError {
  // The message is for the console; the admin reads freshRecordFailedText in their language.
  return { code: ErrorCode.Internal, message, textKey: 'freshRecordFailedText' }
}

export function useFreshRecord(resourceId: string, recordId: string, actionName: RecordActionName): FreshRecord {
  const [error, setError] = useState<ClientError | null>(null)
  const [pending, setPending] = useState(0)
  const latest = useRef(0)
  const mounted = useRef(true)

  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
    }
  }, [])

  const fetchFresh = useCallback(async (): Promise<RecordJSON | null> => {
    const ticket = ++latest.current
    setPending((count) => count + 1)
    try {
      const response = await new ApiClient().recordAction({ resourceId, recordId, actionName })
      if (!mounted.current || ticket !== latest.current) return null
      const { record, notice } = response.data
      if (notice?.type === 'error') {
        setError(failure(notice.message))
        return null
      }
      setError(null)
      return record ?? null
    } catch (cause: unknown) {
      if (mounted.current && ticket === latest.current) {
        setError(failure(`Could not load the latest version of this record: ${cause instanceof Error ? cause.message : String(cause)}`))
      }
      return null
    } finally {
      if (mounted.current) setPending((count) => count - 1)
    }
  }, [resourceId, recordId, actionName])

  const dismissError = useCallback(() => setError(null), [])
  return { fetchFresh, loading: pending > 0, error, dismissError }
}

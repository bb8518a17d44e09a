/**
 * The record the form shows. It starts as the record AdminJS loaded and is fetched again whenever
 * this tab gets the lock after someone else had it, so the new editor starts from saved data.
 * Handing AdminJS's Edit a new `record` prop re-seeds the form without reloading the page.
 */
import { useEffect, useRef, useState } from 'react'
import { ApiClient, type RecordJSON } from 'adminjs'
import { ErrorCode } from '../../src/protocol'
import type { ClientError } from './request'

export interface RecordRefresh {
  record: RecordJSON | undefined
  error: ClientError | null
  dismissError: () => void
}

export function useRecordRefresh(initial: RecordJSON | undefined, resourceId: string, recordId: string, trigger: number): RecordRefresh {
  const [record, setRecord] = useState(initial)
  const [error, setError] = useState<ClientError | null>(null)
  const mounted = useRef(true)

  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
    }
  }, [])

  // AdminJS hands a new record after its own actions (e.g. a save); that one is the freshest.
  useEffect(() => setRecord(initial), [initial])

  useEffect(() => {
    if (trigger === 0) return
    new ApiClient()
      .recordAction({ resourceId, recordId, actionName: 'edit' })
      .then((response) => {
        if (!mounted.current) return
        const { record: fresh, notice } = response.data
        if (notice?.type === 'error') setError({ code: ErrorCode.Internal, message: notice.message })
        if (fresh) {
          setRecord(fresh)
        }
      })
      .catch((cause: unknown) => {
        if (!mounted.current) return
        setError({ code: ErrorCode.Internal, message: `Could not load the latest version of this record: ${cause instanceof Error ? cause.message : String(cause)}` })
      })
  }, [trigger, resourceId, recordId])

  return { record, error, dismissError: () => setError(null) }
}

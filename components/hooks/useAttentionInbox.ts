/**
 * The editor's side of attention requests: one notice per asking tab (a second request from the
 * same tab replaces its first), each of which the editor may dismiss or answer by handing the lock
 * over to that tab. Requests only mean something to the current editor, so they are cleared as
 * soon as this tab stops being it, and dropped when their sender has left the record.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { AttentionRequestedEvent, RecordRef } from '../../src/protocol'
import { useRecordEvent } from './useRecordEvent'
import { useCollaborationSocket } from './collaboration-context'
import { LocalErrorCode, isTransient, request, type ClientError } from './request'

export interface AttentionInboxOptions extends RecordRef {
  /** True while this tab holds the lock. */
  active: boolean
  /** Ids of the users on the record now; null while unknown. */
  presentUserIds: ReadonlySet<string> | null
}

export interface AttentionInbox {
  requests: AttentionRequestedEvent[]
  dismiss: (fromTabId: string) => void
  handOver: (toTabId: string) => void
  /** The tab a hand-over is under way to, so its button can show it. */
  handingOverTo: string | null
  error: ClientError | null
  dismissError: () => void
}

export function useAttentionInbox({ resourceId, recordId, active, presentUserIds }: AttentionInboxOptions): AttentionInbox {
  const socket = useCollaborationSocket()
  const [requests, setRequests] = useState<AttentionRequestedEvent[]>([])
  const [handingOverTo, setHandingOverTo] = useState<string | null>(null)
  const [error, setError] = useState<ClientError | null>(null)
  const activeRef = useRef(active)
  activeRef.current = active

  useRecordEvent('attention:requested', { resourceId, recordId }, (event: AttentionRequestedEvent) => {
    if (!activeRef.current) return
    setRequests((previous) => [...previous.filter((known) => known.fromTabId !== event.fromTabId), event])
  })
  // Another record: its requests are not this one's.
  useEffect(() => () => setRequests([]), [resourceId, recordId])

  useEffect(() => {
    if (!active) setRequests([])
  }, [active])

  const dismiss = useCallback((fromTabId: string) => {
    setRequests((previous) => previous.filter((known) => known.fromTabId !== fromTabId))
  }, [])

  const handOver = useCallback(
    (toTabId: string) => {
      setHandingOverTo(toTabId)
      setError(null)
      void request(socket, 'lock:handover', { resourceId, recordId, toTabId }).then((reply) => {
        setHandingOverTo(null)
        if (reply.ok) {
          // The lock moved: the `lock:state` that follows makes this tab a viewer.
          setRequests([])
          return
        }
        setError(reply.error)
        // The asking tab is gone or may not edit: its notice can no longer be acted on.
        if (!isTransient(reply.error) && reply.error.code !== LocalErrorCode.Disconnected) dismiss(toTabId)
      })
    },
    [socket, resourceId, recordId, dismiss],
  )

  const dismissError = useCallback(() => setError(null), [])
  const shown = presentUserIds ? requests.filter((known) => presentUserIds.has(known.from.id)) : requests
  return { requests: shown, dismiss, handOver, handingOverTo, error, dismissError }
}

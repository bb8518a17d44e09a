/**
 * The record's line ("Notify me when free") as this edit tab sees it: who waits and in which
 * place, this tab's own place, joining and leaving. The server decides who may claim a freed
 * record (the first in line, for its turn); this hook only listens and asks:
 * - the line is read once per join (`lock:queue` list) unless this tab is the editor, then follows
 *   `queue:state`, ordered by revision like the lease;
 * - when the line names this tab first and the record is free, it claims at once (the turn moved
 *   to it because the one before let theirs pass);
 * - when this tab gets the lock after waiting in line, `turns` grows: time to tell a tab in the
 *   background.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { QueueStateEvent, QueuedView } from '../../src/protocol'
import { isCurrent } from './revision'
import { LocalErrorCode, type ClientError } from './request'
import type { LockRole } from './lock-role'
import { useRecordEvent } from './useRecordEvent'
import type { RecordSession } from './useRecordSession'
import { askNotificationPermission } from './useBackgroundAlert'

export interface QueueOptions {
  role: LockRole
  /** Claims now (see EditLock.claim). */
  claim: () => void
}

export interface Queue {
  /** Who waits, first first (empty while unknown). */
  entries: QueuedView[]
  /** This tab's place (1 = first), or null when not in line. */
  position: number | null
  /** A join or leave is under way. */
  busy: boolean
  join: () => void
  leave: () => void
  /** Grows each time this tab got the lock after waiting in line. */
  turns: number
  error: ClientError | null
  dismissError: () => void
}

export function useQueue(session: RecordSession, { role, claim }: QueueOptions): Queue {
  const { channel, joined, resourceId, recordId, intent, status, lease } = session
  const [line, setLine] = useState<QueueStateEvent | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<ClientError | null>(null)
  const [turns, setTurns] = useState(0)
  const lastRevision = useRef<number | null>(null)
  const waited = useRef(false)

  const apply = useCallback((state: QueueStateEvent) => {
    if (!isCurrent(state.revision, lastRevision.current)) return
    lastRevision.current = state.revision
    setLine(state)
  }, [])
  useRecordEvent('queue:state', { resourceId, recordId }, apply)

  const waits = intent === 'edit' && joined?.locking === true
  const isEditor = joined !== null && joined.lease?.tabId === joined.tabId
  // Each join is a new baseline: read the line, unless this tab edits (it hears every change after).
  useEffect(() => {
    lastRevision.current = null
    setLine(null)
    if (!channel || !joined || !waits || isEditor) return
    void channel.send('lock:queue', { resourceId, recordId, action: 'list' }).then((reply) => {
      if (reply?.ok) apply(reply.data)
    })
  }, [channel, joined, waits, isEditor, resourceId, recordId, apply])

  const myTabId = joined?.tabId ?? null
  const position = line?.entries.find((entry) => entry.tabId === myTabId)?.position ?? null
  if (position !== null) waited.current = true

  // This tab's turn, with the record free: take it now, not at the next retry.
  useEffect(() => {
    if (position === 1 && lease === null && status === 'online') claim()
  }, [position, lease, status, claim, line])

  useEffect(() => {
    if (role !== 'editor' || !waited.current) return
    waited.current = false
    setTurns((count) => count + 1)
  }, [role])

  const send = useCallback(
    (action: 'join' | 'leave') => {
      if (!channel) return
      setBusy(true)
      setError(null)
      if (action === 'leave') waited.current = false
      void channel.send('lock:queue', { resourceId, recordId, action }).then((reply) => {
        setBusy(false)
        if (!reply) return
        if (reply.ok) return apply(reply.data)
        if (reply.error.code !== LocalErrorCode.Disconnected) setError(reply.error)
      })
    },
    [channel, resourceId, recordId, apply],
  )
  const join = useCallback(() => {
    // Asked in the click, the only moment a browser lets a page ask.
    askNotificationPermission()
    send('join')
  }, [send])
  const leave = useCallback(() => send('leave'), [send])
  const dismissError = useCallback(() => setError(null), [])

  return { entries: line?.entries ?? [], position, busy, join, leave, turns, error, dismissError }
}

/**
 * Idle release and take-over by policy, as the edit page sees them (#13). The server decides both;
 * the page only reports activity, shows the warning it is sent, and asks whether it may take over.
 *
 * - Activity (typing, pointer, focus in the form) of the editor's tab goes out as `lock:activity`,
 *   at once after a quiet spell and then at most once every ACTIVITY_INTERVAL_MS; while the idle
 *   warning shows, at once (it also clears the warning). Each report says whether the form has
 *   unsaved input; when that changes (the first keystroke, a save, a revert) it goes out at once,
 *   so the others on the record see "unsaved changes" come and go.
 * - A viewer of another user's lock asks `lock:takeover-policy` when the lease changes and again
 *   when the answer says so (the default policy: once the holder has been idle long enough).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { TakeOverAnswer } from '../../src/protocol'
import type { EditLock } from './useEditLock'
import { useRecordEvent } from './useRecordEvent'
import type { RecordSession } from './useRecordSession'

/** At most one activity report this often while the user is active. */
const ACTIVITY_INTERVAL_MS = 5000
/** A refusal that says nothing about when to ask again is asked again after this long. */
const POLICY_RECHECK_MS = 15_000

export interface ActivityHandlers {
  onKeyDownCapture: () => void
  onInputCapture: () => void
  onPointerDownCapture: () => void
  onPointerMoveCapture: () => void
  onFocusCapture: () => void
}

export interface IdleWarning {
  /** Local clock when the server releases the lock unless the user is active. */
  releaseAtMs: number
}

export interface IdleControl {
  /** Spread on the form's container: what the user does there counts as activity. */
  activity: ActivityHandlers
  warning: IdleWarning | null
  /** "Keep editing": reports activity now. */
  keepEditing: () => void
  /** The form may have been saved or reverted: reports at once if "unsaved" changed. */
  recheck: () => void
}

export function useIdle(session: RecordSession, role: EditLock['role'], isDirty: () => boolean = () => false): IdleControl {
  const { channel, resourceId, recordId } = session
  const [warning, setWarning] = useState<IdleWarning | null>(null)
  const lastSentRef = useRef(0)
  const warnedRef = useRef(false)
  /** What the last report said of unsaved input (null: nothing sent since this tab became editor). */
  const unsavedSentRef = useRef<boolean | null>(null)
  const isDirtyRef = useRef(isDirty)
  isDirtyRef.current = isDirty
  const editing = role === 'editor'

  useRecordEvent('lock:idle-warning', session, ({ releaseInMs }) => {
    warnedRef.current = true
    setWarning({ releaseAtMs: Date.now() + releaseInMs })
  })
  useEffect(() => {
    unsavedSentRef.current = null
    if (editing) return
    warnedRef.current = false
    setWarning(null)
  }, [editing])

  const report = useCallback(
    (now: boolean) => {
      if (!editing || !channel) return
      const at = Date.now()
      const unsaved = isDirtyRef.current()
      const unsavedChanged = unsaved !== unsavedSentRef.current
      if (!now && !unsavedChanged && !warnedRef.current && at - lastSentRef.current < ACTIVITY_INTERVAL_MS) return
      lastSentRef.current = at
      unsavedSentRef.current = unsaved
      warnedRef.current = false
      setWarning(null)
      void channel.send('lock:activity', { resourceId, recordId, unsaved })
    },
    [editing, channel, resourceId, recordId],
  )
  const onActivity = useCallback(() => report(false), [report])
  // Typing changes the form only after this handler (AdminJS's inputs, the pending-input
  // listener): look at it once they have run.
  const onContent = useCallback(() => void setTimeout(() => report(false), 0), [report])
  const activity = useMemo<ActivityHandlers>(
    () => ({ onKeyDownCapture: onActivity, onInputCapture: onContent, onPointerDownCapture: onActivity, onPointerMoveCapture: onActivity, onFocusCapture: onActivity }),
    [onActivity, onContent],
  )
  const keepEditing = useCallback(() => report(true), [report])
  const recheck = useCallback(() => {
    if (editing && isDirtyRef.current() !== unsavedSentRef.current) report(true)
  }, [editing, report])
  return { activity, warning, keepEditing, recheck }
}

export interface TakeOverPolicy {
  /** The server's last answer (null: not asked, or nothing to take over). */
  answer: (TakeOverAnswer & { receivedAtMs: number }) | null
  /** Ask again now (after a refused take-over). */
  refresh: () => void
}

/** Whether this viewer may take another user's lock now, as the server answers. */
export function useTakeOverPolicy(session: RecordSession, lock: Pick<EditLock, 'role' | 'lease' | 'me'>): TakeOverPolicy {
  const { channel, resourceId, recordId } = session
  const [answer, setAnswer] = useState<TakeOverPolicy['answer']>(null)
  const [asked, setAsked] = useState(0)
  const holder = lock.role === 'viewer' && lock.lease && lock.me && lock.lease.user.id !== lock.me.id ? lock.lease : null
  const fence = holder?.fence ?? null

  // Another holder (or none): the last answer was about someone else.
  useEffect(() => setAnswer(null), [fence])
  useEffect(() => {
    if (fence === null || !channel) return undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    let gone = false
    void channel.send('lock:takeover-policy', { resourceId, recordId }).then((reply) => {
      if (gone || !reply?.ok) return
      setAnswer({ ...reply.data, receivedAtMs: Date.now() })
      timer = setTimeout(() => setAsked((count) => count + 1), reply.data.retryInMs ?? POLICY_RECHECK_MS)
    })
    return () => {
      gone = true
      clearTimeout(timer)
    }
  }, [fence, channel, resourceId, recordId, asked])

  const refresh = useCallback(() => setAsked((count) => count + 1), [])
  return { answer, refresh }
}

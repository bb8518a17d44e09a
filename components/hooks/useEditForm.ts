/**
 * The edit form's state, owned by the collaborator page rather than by AdminJS's Edit component, so
 * the page can load a fresher record into it (after a hand-over, after someone else's save), read
 * what the user changed (for drafts) and lay a draft back over it.
 *
 * It is AdminJS's `useRecord` plus the record the form last loaded from the server: the difference
 * between the two is what the user typed.
 */
import { useCallback, useEffect, useRef, useState, type FormEvent, type RefObject } from 'react'
import { useNavigate } from 'react-router'
import { useRecord, type RecordJSON } from 'adminjs'
import { appendForceRefresh } from './append-force-refresh'
import { usePendingInput } from './usePendingInput'
import { applyChanges, type ParamChanges } from './record-diff'

export interface EditFormSnapshot {
  /** The record as the server last gave it to this form. */
  loaded: RecordJSON
  /** The record as the user sees it now, with text typed into a field that has not reported it yet. */
  current: RecordJSON
}

export interface EditFormOptions {
  /** Extra params for the submitted form only (the tab token), never stored in the record. */
  submitParams: () => Record<string, string>
  /** Runs after a save the server accepted, before AdminJS moves on to the next page. */
  onSaved: () => void
}

export interface EditForm {
  record: RecordJSON
  /** For the <form> element, so the snapshot can find the field being typed into. */
  formRef: RefObject<HTMLFormElement>
  /**
   * Changes with every record loaded from the server: the page keys the fields with it, so they
   * drop their own state (AdminJS's inputs keep what was typed until blur) and show the record.
   */
  formKey: number
  handleChange: ReturnType<typeof useRecord>['handleChange']
  loading: boolean
  /** Reads the form at call time: for event handlers and async continuations. */
  snapshot: () => EditFormSnapshot
  /** Puts a record fetched from the server into the form; what the user typed is replaced. */
  load: (record: RecordJSON) => void
  /** Shows the loaded record again, as if nothing had been typed (after the typing went to a draft). */
  revert: () => void
  /** Lays changes (a draft) over what the form shows now; they count as typed by the user. */
  apply: (changes: ParamChanges) => void
  submit: (event: FormEvent) => void
}

export function useEditForm(initial: RecordJSON, resourceId: string, options: EditFormOptions): EditForm {
  const { record, handleChange, submit: submitRecord, loading, setRecord } = useRecord(initial, resourceId)
  const [loaded, setLoaded] = useState(initial)
  const navigate = useNavigate()
  const formRef = useRef<HTMLFormElement>(null)
  const [formKey, setFormKey] = useState(0)
  const pending = usePendingInput(formRef, formKey)
  const stateRef = useRef({ loaded, record })
  stateRef.current = { loaded, record }
  // useRecord's setter and our options change identity on every render; the callbacks below are
  // handed to effects and socket listeners, so they read the latest through refs.
  const setRecordRef = useRef(setRecord)
  setRecordRef.current = setRecord
  const optionsRef = useRef(options)
  optionsRef.current = options

  const load = useCallback(
    (fresh: RecordJSON) => {
      setRecordRef.current(fresh)
      setLoaded(fresh)
      pending.clear()
      setFormKey((key) => key + 1)
    },
    [pending],
  )

  const revert = useCallback(() => load(stateRef.current.loaded), [load])

  // AdminJS hands a new record after its own fetches (as its Edit does, the newest one wins).
  useEffect(() => {
    if (initial !== stateRef.current.loaded) load(initial)
  }, [initial, load])

  const apply = useCallback(
    (changes: ParamChanges) => {
      const current = stateRef.current.record
      pending.clear()
      // Through handleChange, so useRecord marks the form as no longer in sync with the server.
      handleChange({ ...current, params: applyChanges(current.params, changes) })
      // Remount the fields: AdminJS's inputs would otherwise keep showing what they held.
      setFormKey((key) => key + 1)
    },
    [handleChange, pending],
  )

  const submit = (event: FormEvent) => {
    // As AdminJS's Edit: never a native submit, which would reload the page.
    event.preventDefault()
    // useRecord merges these into the submitted params only; the record keeps its own.
    submitRecord(optionsRef.current.submitParams()).then(
      (response) => {
        const { notice, redirectUrl, record: saved } = response.data
        if (notice?.type !== 'success') return
        if (saved) setLoaded(saved)
        optionsRef.current.onSaved()
        if (redirectUrl) navigate(appendForceRefresh(redirectUrl))
      },
      () => {
        // useRecord already showed AdminJS's error notice; the form keeps what was typed.
      },
    )
  }

  const snapshot = useCallback((): EditFormSnapshot => {
    const { loaded: base, record: current } = stateRef.current
    return { loaded: base, current: { ...current, params: { ...current.params, ...pending.read() } } }
  }, [pending])

  return { record, formRef, formKey, handleChange, loading, snapshot, load, revert, apply, submit }
}

/**
 * What the user typed that the form state may not have yet. AdminJS's text, number, textarea and
 * phone inputs keep keystrokes in their own state and report them to the form on blur. When the
 * field is disabled under the user's hands (the lock moved), that report is rendered only after
 * the effects that react to the lock loss have run, so they would miss the text.
 *
 * So the last field typed into is followed here with a native listener, and its latest value
 * counts as typed until the form is given other params (a loaded record, a restored draft). Once
 * the field has reported it, the two agree, so laying it over the form state changes nothing.
 * Those inputs are named after their param, which is how the value finds its place in a draft.
 */
import { useCallback, useEffect, useMemo, useRef, type RefObject } from 'react'

export interface PendingInput {
  /** `{ [param]: value }` of the field typed into last, or `{}`. */
  read: () => Record<string, string>
  /** The form was given other params: the typed value no longer says anything about them. */
  clear: () => void
}

function typedField(target: EventTarget | null): HTMLInputElement | HTMLTextAreaElement | null {
  if (target instanceof HTMLTextAreaElement && target.name) return target
  if (target instanceof HTMLInputElement && target.name && !['password', 'file', 'hidden', 'checkbox', 'radio'].includes(target.type)) return target
  return null
}

/** `formKey` changes whenever the form element is replaced, to follow the new one. */
export function usePendingInput(formRef: RefObject<HTMLElement>, formKey: number): PendingInput {
  const pending = useRef<{ name: string; value: string } | null>(null)

  useEffect(() => {
    const form = formRef.current
    if (!form) return undefined
    const onInput = (event: Event) => {
      const field = typedField(event.target)
      if (field) pending.current = { name: field.name, value: field.value }
    }
    form.addEventListener('input', onInput, true)
    return () => form.removeEventListener('input', onInput, true)
  }, [formRef, formKey])

  const read = useCallback(() => (pending.current ? { [pending.current.name]: pending.current.value } : {}), [])
  const clear = useCallback(() => {
    pending.current = null
  }, [])
  // Stable, since the form's callbacks built on it are effect dependencies.
  return useMemo(() => ({ read, clear }), [read, clear])
}

/**
 * Marks form fields that others changed since this page loaded the record: a small badge in the
 * field's label ("Changed by Bob Chen at 10:41") and a bar beside the field. The badge is text in
 * the label, so it is part of the field's accessible name: a screen reader says it on focus, and
 * nothing is told by colour alone.
 *
 * AdminJS renders the fields (and their labels) inside its own property components, which take no
 * extra content from outside; so the marks are added to the rendered fields, found by the test id
 * AdminJS gives each (`property-<where>-<path>`), as useReadOnlyForm does with its attributes. A
 * MutationObserver puts them back when the form re-mounts (a fresher record loaded, a draft laid
 * over it); only what this hook added is removed again.
 */
import { useLayoutEffect, useMemo, type RefObject } from 'react'
import type { FieldChange } from './useLiveUpdates'
import { useText } from './useTexts'

const BADGE = 'data-collaborator-changed'
const FIELD = 'data-collaborator-changed-field'
const BAR = 'inset 3px 0 0 0 #4268f6'

function badgeFor(description: string): HTMLElement {
  const badge = document.createElement('span')
  badge.setAttribute(BADGE, '')
  badge.setAttribute('data-testid', 'collaborator-changed-mark')
  badge.textContent = description
  Object.assign(badge.style, {
    display: 'inline-block',
    marginLeft: '8px',
    padding: '0 8px',
    borderRadius: '10px',
    background: '#e9edfe',
    color: '#2a46c4',
    fontSize: '11px',
    fontWeight: 'normal',
    lineHeight: '18px',
    textTransform: 'none',
    letterSpacing: 'normal',
    verticalAlign: 'middle',
  })
  return badge
}

function unmark(field: Element): void {
  field.querySelectorAll(`[${BADGE}]`).forEach((badge) => badge.remove())
  field.removeAttribute(FIELD)
  if (field instanceof HTMLElement) {
    field.style.boxShadow = ''
    field.style.paddingLeft = ''
  }
}

function mark(field: HTMLElement, property: string, description: string): void {
  const badge = field.querySelector(`[${BADGE}]`)
  if (badge?.textContent === description && field.getAttribute(FIELD) === property) return
  badge?.remove()
  field.setAttribute(FIELD, property)
  field.style.boxShadow = BAR
  field.style.paddingLeft = '10px'
  // The label of the field itself (the first one: an array's items have labels of their own).
  const label = field.querySelector('label')
  if (label) label.appendChild(badgeFor(description))
  else field.prepend(badgeFor(description))
}

/** `marks`: top-level property path → what the badge says. */
export function useFieldMarks(rootRef: RefObject<HTMLElement>, marks: ReadonlyMap<string, string>, where: 'edit' | 'show'): void {
  useLayoutEffect(() => {
    const root = rootRef.current
    if (!root || marks.size === 0) return undefined
    const apply = () => {
      for (const [property, description] of marks) {
        const field = root.querySelector<HTMLElement>(`[data-testid="property-${where}-${CSS.escape(property)}"]`)
        if (field) mark(field, property, description)
      }
    }
    apply()
    // Our own badge is a mutation too: apply() leaves a field alone that has its mark already.
    const observer = new MutationObserver(apply)
    observer.observe(root, { childList: true, subtree: true })
    return () => {
      observer.disconnect()
      root.querySelectorAll(`[${FIELD}]`).forEach(unmark)
    }
  }, [rootRef, marks, where])
}

/** The badges' words for the fields others changed: "Changed by Bob Chen at 10:41" (a date if not today). */
export function useChangeMarks(changes: ReadonlyMap<string, FieldChange>): ReadonlyMap<string, string> {
  const { text, time, dateTime } = useText()
  return useMemo(() => {
    const marks = new Map<string, string>()
    const today = new Date().toDateString()
    for (const [property, { by, atMs }] of changes) {
      marks.set(property, text('fieldChangedText', { name: by.name, time: new Date(atMs).toDateString() === today ? time(atMs) : dateTime(atMs) }))
    }
    return marks
  }, [changes, text, time, dateTime])
}

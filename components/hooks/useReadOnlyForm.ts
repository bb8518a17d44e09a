/**
 * Makes a form read-only while `readOnly` is true, without hiding it: a viewer can still read it
 * with a screen reader, find in it, focus its fields, select and copy their text.
 *
 * Two layers, because AdminJS renders more than native fields (react-select, date pickers, rich
 * text) and none of them takes a read-only prop from outside:
 * 1. Attributes: text fields and textareas get `readonly` + `aria-readonly` (focusable, selectable,
 *    announced as read-only); controls that cannot be read-only (selects, checkboxes, radios, file
 *    inputs, buttons, the Save button among them) get `disabled`; rich text gets
 *    `contenteditable="false"` + `aria-readonly`. A MutationObserver applies the same to fields
 *    that appear later (the form re-mounts when a fresher record is loaded). Only what this hook
 *    changed is undone when the form becomes editable again.
 * 2. Events: every input, key, pointer, focus and submit event from inside the form is stopped in
 *    the capture phase at the wrapper, so React (which listens at the root) never hands it to a
 *    field's handler: no menu opens, no calendar pops up, no onChange runs. The browser's default
 *    action is cancelled too where it could change something (typing, paste, drop, Enter, submit,
 *    clicks), and kept where it only reads (Tab, arrows, selection, copy, find).
 */
import { useLayoutEffect, useRef, type RefObject } from 'react'

/** Marks what this hook changed, so that unlocking restores exactly that. */
const MARK = 'data-collaborator-readonly'
const TEXT_INPUT_TYPES = new Set(['', 'text', 'email', 'url', 'search', 'tel', 'number', 'password', 'date', 'datetime-local', 'time', 'month', 'week'])
/** Events whose default action may change a field; cancelled as well as stopped. */
const CANCELLED = ['beforeinput', 'paste', 'cut', 'drop', 'dragstart', 'submit'] as const
/** Events only stopped: their default action reads (focus, selection), never writes. */
const STOPPED = ['input', 'change', 'keyup', 'keypress', 'mousedown', 'mouseup', 'pointerdown', 'pointerup', 'touchstart', 'touchend', 'dblclick', 'focusin', 'focusout'] as const

type Change = 'readonly' | 'disabled' | 'contenteditable'

function changeOf(element: Element): Change | null {
  if (element instanceof HTMLTextAreaElement) return 'readonly'
  if (element instanceof HTMLInputElement) {
    const type = element.getAttribute('type')?.toLowerCase() ?? ''
    // A hidden input (react-select keeps its value in one) cannot be reached: nothing to lock.
    if (type === 'hidden') return null
    return TEXT_INPUT_TYPES.has(type) ? 'readonly' : 'disabled'
  }
  if (element instanceof HTMLSelectElement || element instanceof HTMLButtonElement) return 'disabled'
  if (element instanceof HTMLElement && element.isContentEditable && element.getAttribute('contenteditable') !== null) return 'contenteditable'
  return null
}

function lock(element: Element): void {
  if (element.hasAttribute(MARK)) return
  const change = changeOf(element)
  if (change === 'readonly' && !element.hasAttribute('readonly') && !element.hasAttribute('disabled')) {
    element.setAttribute('readonly', '')
    element.setAttribute('aria-readonly', 'true')
  } else if (change === 'disabled' && !element.hasAttribute('disabled')) {
    element.setAttribute('disabled', '')
  } else if (change === 'contenteditable') {
    element.setAttribute('contenteditable', 'false')
    element.setAttribute('aria-readonly', 'true')
  } else return
  element.setAttribute(MARK, change)
}

function unlock(element: Element): void {
  const change = element.getAttribute(MARK)
  element.removeAttribute(MARK)
  if (change === 'readonly') {
    element.removeAttribute('readonly')
    element.removeAttribute('aria-readonly')
  } else if (change === 'disabled') element.removeAttribute('disabled')
  else if (change === 'contenteditable') {
    element.setAttribute('contenteditable', 'true')
    element.removeAttribute('aria-readonly')
  }
}

const CONTROLS = 'input, textarea, select, button, [contenteditable]'

function lockWithin(root: Element): void {
  if (root.matches(CONTROLS)) lock(root)
  root.querySelectorAll(CONTROLS).forEach(lock)
}

/** Keys that only move the caret, the focus or the selection, or copy and find: they reach the page. */
function onlyReads(event: KeyboardEvent): boolean {
  if (event.ctrlKey || event.metaKey) return ['c', 'a', 'f', 'g', 'insert'].includes(event.key.toLowerCase())
  return (
    event.key === 'Tab' ||
    event.key === 'Escape' ||
    event.key.startsWith('Arrow') ||
    ['Home', 'End', 'PageUp', 'PageDown', 'Shift', 'Control', 'Alt', 'Meta'].includes(event.key) ||
    /^F\d+$/.test(event.key)
  )
}

const stop = (event: Event) => event.stopPropagation()
const cancel = (event: Event) => {
  event.stopPropagation()
  event.preventDefault()
}
const onKeyDown = (event: KeyboardEvent) => {
  event.stopPropagation()
  if (!onlyReads(event)) event.preventDefault()
}
// A click's default toggles, submits or follows; a link may still be followed (it changes nothing).
const onClick = (event: MouseEvent) => {
  event.stopPropagation()
  if (!(event.target instanceof Element && event.target.closest('a[href]'))) event.preventDefault()
}

export function useReadOnlyForm<T extends HTMLElement>(readOnly: boolean): RefObject<T> {
  const ref = useRef<T>(null)
  // Before paint, so a locked form is never shown writable for a frame.
  useLayoutEffect(() => {
    const root = ref.current
    if (!root || !readOnly) return undefined
    lockWithin(root)
    const observer = new MutationObserver((mutations) => {
      for (const mutation of mutations) mutation.addedNodes.forEach((node) => node instanceof Element && lockWithin(node))
    })
    observer.observe(root, { childList: true, subtree: true })
    for (const type of CANCELLED) root.addEventListener(type, cancel, true)
    for (const type of STOPPED) root.addEventListener(type, stop, true)
    root.addEventListener('keydown', onKeyDown, true)
    root.addEventListener('click', onClick, true)
    return () => {
      observer.disconnect()
      for (const type of CANCELLED) root.removeEventListener(type, cancel, true)
      for (const type of STOPPED) root.removeEventListener(type, stop, true)
      root.removeEventListener('keydown', onKeyDown, true)
      root.removeEventListener('click', onClick, true)
      root.querySelectorAll(`[${MARK}]`).forEach(unlock)
    }
  }, [readOnly])
  return ref
}

/**
 * Disables one of AdminJS's header action buttons (e.g. Delete) while `disabled` holds. AdminJS draws
 * the record's action buttons outside the action component, so there is no prop to pass: the button
 * is found by the test id AdminJS gives it (`action-<name>`). The server refuses the action anyway
 * (the write guard); this only spares the user a click that cannot succeed.
 */
import { useEffect } from 'react'

export function useHeaderActionDisabled(actionName: string, disabled: boolean, title: string): void {
  useEffect(() => {
    if (!disabled) return undefined
    const selector = `[data-testid="action-${actionName}"]`
    const mark = (button: HTMLElement) => {
      button.setAttribute('aria-disabled', 'true')
      button.setAttribute('data-collaborator-disabled', 'true')
      button.setAttribute('title', title)
      button.style.pointerEvents = 'none'
      button.style.opacity = '0.5'
    }
    const unmark = (button: HTMLElement) => {
      button.removeAttribute('aria-disabled')
      button.removeAttribute('data-collaborator-disabled')
      button.removeAttribute('title')
      button.style.pointerEvents = ''
      button.style.opacity = ''
    }
    const apply = () => document.querySelectorAll<HTMLElement>(selector).forEach(mark)
    apply()
    // The header may render after us, or again on navigation.
    const observer = new MutationObserver(apply)
    observer.observe(document.body, { childList: true, subtree: true })
    return () => {
      observer.disconnect()
      document.querySelectorAll<HTMLElement>(selector).forEach(unmark)
    }
  }, [actionName, disabled, title])
}

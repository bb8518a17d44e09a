/**
 * Makes an element and everything in it unreachable (no focus, no typing, no clicks) while `inert`
 * is true. React 18 does not know the `inert` attribute, so it is set on the element directly.
 */
import { useEffect, useRef, type RefObject } from 'react'

export function useInert<T extends HTMLElement>(inert: boolean): RefObject<T> {
  const ref = useRef<T>(null)
  useEffect(() => {
    const element = ref.current
    if (!element) return
    if (inert) element.setAttribute('inert', '')
    else element.removeAttribute('inert')
  }, [inert])
  return ref
}

/** Whether this browser tab is in the background (another tab in front, window minimised). */
import { useEffect, useState } from 'react'

export function usePageHidden(): boolean {
  const [hidden, setHidden] = useState(() => document.hidden)
  useEffect(() => {
    const onChange = () => setHidden(document.hidden)
    // It may have changed between the first render and this effect.
    onChange()
    document.addEventListener('visibilitychange', onChange)
    return () => document.removeEventListener('visibilitychange', onChange)
  }, [])
  return hidden
}

/**
 * A tab in the background tells its unread chat messages in its title, `(2) Post | AdminJS`, so the
 * count shows on the tab strip. The prefix goes as soon as the tab is in front again (or the count
 * drops to zero, or the page unmounts). Only the prefix is ever removed: a title that someone else
 * changed meanwhile is left as it is.
 */
import { useEffect } from 'react'
import { usePageHidden } from './usePageHidden'

export function unreadPrefix(count: number): string {
  return `(${count}) `
}

export function useUnreadTitle(count: number): void {
  const hidden = usePageHidden()
  useEffect(() => {
    if (!hidden || count <= 0) return undefined
    const prefix = unreadPrefix(count)
    document.title = `${prefix}${document.title}`
    return () => {
      if (document.title.startsWith(prefix)) document.title = document.title.slice(prefix.length)
    }
  }, [hidden, count])
}

/**
 * Tells a tab in the background that something wants the user: its title starts with the alert
 * ("Your turn to edit · Post | AdminJS") until the tab is in front again, and, if the user allowed
 * notifications for the admin (asked only on a click, see `askNotificationPermission`), the
 * browser shows one. An alert that arrives while the tab is in front does nothing here: the page
 * itself shows it. Only the prefix is ever removed from the title.
 */
import { useEffect, useState } from 'react'
import { usePageHidden } from './usePageHidden'

export interface BackgroundAlert {
  /** A new key is a new alert; the same key again is the same one. */
  key: string
  title: string
  body: string
}

export function alertPrefix(title: string): string {
  return `${title} · `
}

/** Asks the browser for notifications, from a click only; never asks again once answered. */
export function askNotificationPermission(): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'default') return
  void Promise.resolve(Notification.requestPermission()).catch(() => undefined)
}

function notify(alert: BackgroundAlert): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return
  try {
    const shown = new Notification(alert.title, { body: alert.body, tag: alert.key })
    shown.onclick = () => {
      window.focus()
      shown.close()
    }
  } catch {
    // Some browsers allow notifications from a service worker only: the title still tells.
  }
}

export function useBackgroundAlert(alert: BackgroundAlert | null): void {
  const hidden = usePageHidden()
  const [pending, setPending] = useState<BackgroundAlert | null>(null)
  const key = alert?.key ?? null
  useEffect(() => {
    if (alert && document.hidden) setPending(alert)
    // A new alert is a new key; its texts follow it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key])
  useEffect(() => {
    if (!hidden) setPending(null)
  }, [hidden])
  useEffect(() => {
    if (!pending) return undefined
    notify(pending)
  }, [pending])
  useEffect(() => {
    if (!pending || !hidden) return undefined
    const prefix = alertPrefix(pending.title)
    document.title = `${prefix}${document.title}`
    return () => {
      if (document.title.includes(prefix)) document.title = document.title.replace(prefix, '')
    }
  }, [pending, hidden])
}

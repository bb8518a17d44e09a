/** "45 s", "3 min": how long, in the page's texts (the locks page's idle column, presence's "idle for"). */
import type { PageTexts } from './useTexts'

export function durationText(ms: number, text: PageTexts['text']): string {
  const seconds = Math.max(0, Math.floor(ms / 1000))
  return seconds < 120 ? text('locksSecondsText', { seconds: String(seconds) }) : text('locksMinutesText', { minutes: String(Math.floor(seconds / 60)) })
}

/**
 * How a person is drawn when the page shows them: their colour, their initials, and their picture's
 * URL made safe for CSS. Pure functions, no React (PresenceBar.tsx draws the avatars).
 */

/** The same person always gets the same colour, on every page and in every browser. */
export function colourOf(userId: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < userId.length; i++) {
    hash ^= userId.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return `hsl(${(hash >>> 0) % 360}, 55%, 40%)`
}

export function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean)
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words
  return (
    letters
      .map((word) => Array.from(word ?? '')[0] ?? '')
      .join('')
      .toUpperCase() || '?'
  )
}

/**
 * The design system's Avatar puts `src` inside a CSS `url('…')`, so a URL is only passed when it
 * parses, uses a scheme an image may come from, and cannot close the quote or the parenthesis.
 * A relative URL is read against `baseUrl`, the page's address unless told.
 */
export function cssImageUrl(url: string | undefined, baseUrl: string = window.location.href): string {
  if (!url) return ''
  let parsed: URL
  try {
    parsed = new URL(url, baseUrl)
  } catch {
    return ''
  }
  const imageData = parsed.protocol === 'data:' && /^data:image\//i.test(parsed.href)
  if (!imageData && !['http:', 'https:', 'blob:'].includes(parsed.protocol)) return ''
  return parsed.href.replace(/['"()\\\s]/g, (char) => `%${char.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`)
}

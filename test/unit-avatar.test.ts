/**
 * How a person is drawn: a stable colour, their initials, and their picture's URL made safe for the
 * CSS `url('…')` the design system's Avatar puts it in (a user's avatar URL is their own input).
 */
import { describe, expect, test } from '@jest/globals'
import { colourOf, cssImageUrl, initialsOf } from '../components/hooks/avatar'

const PAGE = 'https://admin.example/admin/resources/posts/records/1/edit'
const css = (url: string | undefined) => cssImageUrl(url, PAGE)
/** What can end the quoted string or the `url(…)` around it, or start another CSS token. */
const BREAKS_OUT = /['"()\\\s]/

describe('cssImageUrl', () => {
  test('no URL, no image', () => {
    expect(css(undefined)).toBe('')
    expect(css('')).toBe('')
  })

  test('http, https and blob URLs of images pass, normalised', () => {
    expect(css('https://cdn.example/u/1.png')).toBe('https://cdn.example/u/1.png')
    expect(css('http://cdn.example/u/1.png')).toBe('http://cdn.example/u/1.png')
    expect(css('HTTPS://CDN.example/a.png')).toBe('https://cdn.example/a.png')
    expect(css('blob:https://admin.example/5f0c')).toBe('blob:https://admin.example/5f0c')
  })

  test('a relative URL is read against the page', () => {
    expect(css('/avatars/1.png')).toBe('https://admin.example/avatars/1.png')
    expect(css('1.png')).toBe('https://admin.example/admin/resources/posts/records/1/1.png')
    expect(css('//cdn.example/a.png')).toBe('https://cdn.example/a.png')
  })

  test('the page address is the default base', () => {
    const globals = globalThis as { window?: unknown }
    globals.window = { location: { href: 'https://other.example/admin' } }
    try {
      expect(cssImageUrl('/a.png')).toBe('https://other.example/a.png')
    } finally {
      delete globals.window
    }
  })

  test.each([
    'javascript:alert(1)',
    ' JaVaScRiPt:alert(1)',
    'java\nscript:alert(1)',
    '\u0000javascript:alert(1)',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    'ftp://files.example/a.png',
    'mailto:ann@example.com',
    'about:blank',
    'data:text/html,<script>alert(1)</script>',
    'data:,hello',
    'data:application/javascript,alert(1)',
    'chrome://settings',
  ])('refuses a scheme no image comes from: %j', (url) => {
    expect(css(url)).toBe('')
  })

  test('refuses what does not parse as a URL', () => {
    expect(css('https://')).toBe('')
    expect(css('http://[not-ipv6]/a.png')).toBe('')
    expect(cssImageUrl('a.png', 'not a base')).toBe('')
  })

  test('image data URLs pass, in any letter case', () => {
    expect(css('data:image/png;base64,iVBORw0KGgo=')).toBe('data:image/png;base64,iVBORw0KGgo=')
    expect(css('DATA:IMAGE/GIF;base64,R0lGOD==')).not.toBe('')
  })

  test('a URL cannot close the quote or the parenthesis: quotes, parentheses, backslashes and spaces are escaped', () => {
    expect(css("https://x.example/a.png');background:url('https://evil.example/")).toBe('https://x.example/a.png%27%29;background:url%28%27https://evil.example/')
    expect(css('https://x.example/a".png')).toBe('https://x.example/a%22.png')
    expect(css('https://x.example/a.png?q=\'x\'#"frag"')).toBe('https://x.example/a.png?q=%27x%27#%22frag%22')
    expect(css('https://x.example/?a\\b')).toBe('https://x.example/?a%5Cb')
    expect(css('https://x.example/a b.png')).toBe('https://x.example/a%20b.png')
    expect(css('data:image/svg+xml,<svg onload=alert(1)>')).toBe('data:image/svg+xml,<svg%20onload=alert%281%29>')
  })

  test('newlines and tabs inside a URL never reach the CSS', () => {
    expect(css('https://x.example/a\nb\r\tc.png')).toBe('https://x.example/abc.png')
    expect(css('https://x.example/a.png\n);color:red')).toBe('https://x.example/a.png%29;color:red')
  })

  test('unicode hosts and paths come out as ASCII', () => {
    expect(css('https://exämple.com/ö.png')).toBe('https://xn--exmple-cua.com/%C3%B6.png')
    expect(css('https://x.example/😀 (1).png')).toBe('https://x.example/%F0%9F%98%80%20%281%29.png')
  })

  test('whatever the input, the result is empty or an allowed URL with nothing that breaks out (seeded random inputs)', () => {
    let seed = 7
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const pieces = [
      'https://',
      'http:',
      'blob:',
      'data:image/png,',
      'data:text/html,',
      'javascript:',
      '//',
      '/',
      'x.example',
      "'",
      '"',
      '(',
      ')',
      '\\',
      ' ',
      '\n',
      '\t',
      '\r',
      '\u0000',
      '%27',
      '%',
      '?',
      '#',
      ':',
      ';',
      'é',
      '😀',
      'url(',
      '*/',
      '<',
      '>',
    ]
    for (let round = 0; round < 2000; round++) {
      let url = ''
      const parts = 1 + Math.floor(random() * 8)
      for (let i = 0; i < parts; i++) url += pieces[Math.floor(random() * pieces.length)]
      const out = css(url)
      if (out === '') continue
      expect([url, BREAKS_OUT.test(out)]).toEqual([url, false])
      expect([url, /^(https?:|blob:|data:image\/)/i.test(out)]).toEqual([url, true])
    }
  })
})

describe('initialsOf', () => {
  test.each([
    ['Ann', 'A'],
    ['ann', 'A'],
    ['Ann Martin', 'AM'],
    ['Ann Marie Martin', 'AM'],
    ['  Ann   Martin  ', 'AM'],
    ['Ann\tMartin\n', 'AM'],
    ['élodie durand', 'ÉD'],
    ['Łukasz Ćwik', 'ŁĆ'],
    ['東京 太郎', '東太'],
    ['😀 Smile', '😀S'],
    ['𝒜lice', '𝒜'],
  ])('%j → %j', (name, initials) => {
    expect(initialsOf(name)).toBe(initials)
  })

  test('a name with no letters to show gives a question mark', () => {
    expect(initialsOf('')).toBe('?')
    expect(initialsOf('   ')).toBe('?')
    expect(initialsOf('\n\t')).toBe('?')
  })

  test('a character outside the basic plane is taken whole, never half a surrogate pair', () => {
    const initials = initialsOf('😀 𝒜')
    expect(initials).toBe('😀𝒜')
    expect(initials).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/)
  })
})

describe('colourOf', () => {
  test('the same person always gets the same colour', () => {
    expect(colourOf('ann')).toBe(colourOf(String.fromCharCode(97, 110, 110)))
    // Pinned: the colour must not change between releases, pages or browsers (FNV-1a of the id).
    expect(colourOf('ann')).toBe('hsl(320, 55%, 40%)')
    expect(colourOf('bob')).toBe('hsl(284, 55%, 40%)')
    expect(colourOf('')).toBe('hsl(61, 55%, 40%)')
  })

  test('a colour is a hue at fixed saturation and lightness, for any id', () => {
    for (const id of ['ann', 'bob', '', '😀', 'a'.repeat(10_000), 'ключ']) {
      const match = /^hsl\((\d+), 55%, 40%\)$/.exec(colourOf(id))
      expect(match).not.toBeNull()
      expect(Number(match?.[1])).toBeLessThan(360)
    }
  })

  test('different people mostly get different colours', () => {
    const hues = new Set(Array.from({ length: 100 }, (_, i) => colourOf(`user-${i}`)))
    expect(hues.size).toBeGreaterThan(50)
  })
})

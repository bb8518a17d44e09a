/** The page's one ordering rule for record state: by the store's revision, never by arrival. */
import { describe, expect, test } from '@jest/globals'
import { isCurrent } from '../components/hooks/revision'

describe('isCurrent', () => {
  test('anything applies when nothing was applied since the last (re)connect', () => {
    expect(isCurrent(1, null)).toBe(true)
    expect(isCurrent(0, undefined)).toBe(true)
  })

  test('a newer revision applies, an older one does not', () => {
    expect(isCurrent(8, 7)).toBe(true)
    expect(isCurrent(6, 7)).toBe(false)
  })

  test('the same revision applies: the same state read twice (a lease that ran out raised no counter)', () => {
    expect(isCurrent(7, 7)).toBe(true)
  })

  test("a tab's own leave arriving after its new grant changes nothing", () => {
    // leave at 10 (broadcast late), rejoin granted at 11 (answered first)
    let last: number | null = null
    const states: Array<[string, number]> = [
      ['granted', 11],
      ['free', 10],
    ]
    let shown = 'unknown'
    for (const [state, revision] of states) {
      if (!isCurrent(revision, last)) continue
      last = revision
      shown = state
    }
    expect(shown).toBe('granted')
  })
})

/**
 * The draft diff: what a user changed in a form, as a value localStorage can keep, and laying it
 * back over a freshly loaded record. Pure functions of flattened AdminJS params.
 */
import { describe, expect, test } from '@jest/globals'
import { TAB_TOKEN_PARAM, VERSION_PARAM } from '../src/protocol'
import { applyChanges, changedParams, hasChanges, type Params } from '../components/hooks/record-diff'

const loaded: Params = { id: '1', title: 'Hello', views: 5, published: true, note: null, 'tags.0': 'a', 'tags.1': 'b', [VERSION_PARAM]: 'v1' }

describe('changedParams', () => {
  test('the form as loaded has no change', () => {
    const changes = changedParams(loaded, { ...loaded })
    expect(changes).toEqual({ params: {}, removed: [] })
    expect(hasChanges(changes)).toBe(false)
  })

  test('what an input does to an unchanged value is no change: numbers and booleans as strings, null as empty', () => {
    const typed = { ...loaded, views: '5', published: 'true', note: '' }
    expect(hasChanges(changedParams(loaded, typed))).toBe(false)
    expect(hasChanges(changedParams({ note: undefined }, { note: '' }))).toBe(false)
    expect(hasChanges(changedParams({ note: '' }, { note: null }))).toBe(false)
  })

  test('a date and its ISO string are the same value', () => {
    const at = new Date('2026-01-02T03:04:05.000Z')
    expect(hasChanges(changedParams({ at }, { at: at.toISOString() }))).toBe(false)
    expect(changedParams({ at: '2026-01-01T00:00:00.000Z' }, { at }).params).toEqual({ at: at.toISOString() })
  })

  test('an edited value is kept with its own type', () => {
    const changes = changedParams(loaded, { ...loaded, title: 'Hi', views: 6, published: false, note: 'n' })
    expect(changes).toEqual({ params: { title: 'Hi', views: 6, published: false, note: 'n' }, removed: [] })
    expect(hasChanges(changes)).toBe(true)
  })

  test('a value cleared to null is a change to null', () => {
    expect(changedParams({ title: 'Hello' }, { title: null }).params).toEqual({ title: null })
  })

  test('a key the form added is a change; one it removed is listed as removed', () => {
    const { 'tags.1': _dropped, ...rest } = loaded
    const changes = changedParams(loaded, { ...rest, 'tags.2': 'c' })
    expect(changes).toEqual({ params: { 'tags.2': 'c' }, removed: ['tags.1'] })
    expect(hasChanges({ params: {}, removed: ['tags.1'] })).toBe(true)
  })

  test("the collaborator's own params are never a change, neither changed nor removed", () => {
    const current = { ...loaded, [VERSION_PARAM]: 'v2', [TAB_TOKEN_PARAM]: 'secret-token' }
    expect(changedParams(loaded, current)).toEqual({ params: {}, removed: [] })
    const { [VERSION_PARAM]: _version, ...withoutVersion } = loaded
    expect(changedParams(loaded, withoutVersion)).toEqual({ params: {}, removed: [] })
  })

  test('private params (passwords) are never stored, changed or removed', () => {
    const isPrivate = (key: string) => key === 'password'
    const changes = changedParams({ password: 'old', title: 'a' }, { password: 'new', title: 'b' }, isPrivate)
    expect(changes).toEqual({ params: { title: 'b' }, removed: [] })
    expect(changedParams({ password: 'old' }, {}, isPrivate)).toEqual({ params: {}, removed: [] })
    expect(JSON.stringify(changedParams({}, { password: 'hunter2' }, isPrivate))).not.toContain('hunter2')
  })

  test('values JSON cannot keep are left out: files, blobs, NaN and infinities', () => {
    const current = { file: new Blob(['x']), nan: Number.NaN, inf: Number.POSITIVE_INFINITY, title: 'kept' }
    const changes = changedParams({}, current)
    expect(changes).toEqual({ params: { title: 'kept' }, removed: [] })
  })

  test('objects compare by their JSON and are not stored as such', () => {
    expect(hasChanges(changedParams({ meta: { a: 1 } }, { meta: { a: 1 } }))).toBe(false)
    expect(changedParams({ meta: { a: 1 } }, { meta: { a: 2 } }).params).toEqual({})
  })

  test('unicode text is compared and kept exactly, code point for code point', () => {
    const text = 'Crème brûlée 🍮 — 東京 👩🏽‍💻'
    const changes = changedParams({ title: 'x' }, { title: text })
    expect(changes.params.title).toBe(text)
    expect(JSON.parse(JSON.stringify(changes)).params.title).toBe(text)
    // Precomposed and decomposed é look alike but are other strings: the user typed something else.
    expect(changedParams({ title: 'caf\u00e9' }, { title: 'cafe\u0301' }).params).toEqual({ title: 'cafe\u0301' })
    expect(hasChanges(changedParams({ title: text }, { title: text }))).toBe(false)
  })

  test('keys are compared as they are, including empty and unusual ones', () => {
    const changes = changedParams({ '': 'a', 'a.b.0': 'x', ключ: 1 }, { '': 'b', 'a.b.0': 'x', ключ: 2 })
    expect(changes).toEqual({ params: { '': 'b', ключ: 2 }, removed: [] })
  })
})

describe('applyChanges', () => {
  test('lays the changes over the current params and removes what was removed', () => {
    const current: Params = { ...loaded, views: 9 }
    const merged = applyChanges(current, { params: { title: 'Draft' }, removed: ['tags.1'] })
    const { 'tags.1': _dropped, ...rest } = current
    expect(merged).toEqual({ ...rest, title: 'Draft' })
  })

  test("keeps the current record's version, whatever the changes say", () => {
    const current = { ...loaded, [VERSION_PARAM]: 'v3' }
    const merged = applyChanges(current, { params: { [VERSION_PARAM]: 'v1', [TAB_TOKEN_PARAM]: 'forged' }, removed: [VERSION_PARAM] })
    expect(merged[VERSION_PARAM]).toBe('v3')
    expect(merged).not.toHaveProperty(TAB_TOKEN_PARAM)
  })

  test('without a version in the current params, none is added', () => {
    expect(applyChanges({ title: 'a' }, { params: { title: 'b' }, removed: [] })).toEqual({ title: 'b' })
  })

  test('no change gives the current params back, as a copy', () => {
    const current = { ...loaded }
    const merged = applyChanges(current, { params: {}, removed: [] })
    expect(merged).toEqual(current)
    expect(merged).not.toBe(current)
  })

  test('does not touch the params it was given', () => {
    const current = { ...loaded }
    const changes = { params: { title: 'Draft' }, removed: ['id'] }
    const before = JSON.stringify([current, changes])
    applyChanges(current, changes)
    expect(JSON.stringify([current, changes])).toBe(before)
  })

  test('restoring a diff onto the record it came from gives the edited form back (seeded random forms)', () => {
    let seed = 11
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T
    const values = ['', 'a', 'é', '🍮', 0, 1, 2.5, -3, true, false, null] as const
    for (let round = 0; round < 500; round++) {
      const keys = ['title', 'views', 'tags.0', 'tags.1', 'note', 'ключ']
      const before: Params = { [VERSION_PARAM]: 'v1' }
      const after: Params = { [VERSION_PARAM]: 'v1' }
      for (const key of keys) {
        if (random() < 0.8) before[key] = pick(values)
        if (random() < 0.8) after[key] = random() < 0.5 && key in before ? before[key] : pick(values)
      }
      const changes = changedParams(before, after)
      const restored = applyChanges(before, JSON.parse(JSON.stringify(changes)))
      // Equal as the form shows them: an input cannot tell 5 from '5', nor null or absent from ''.
      const shown = (params: Params, key: string) => (params[key] === null || params[key] === undefined ? '' : String(params[key]))
      for (const key of new Set([...Object.keys(after), ...Object.keys(restored)])) {
        expect([key, shown(restored, key)]).toEqual([key, shown(after, key)])
      }
      // A value the user typed keeps its own type, not only its text.
      for (const [key, value] of Object.entries(changes.params)) expect(restored[key]).toBe(value)
    }
  })
})

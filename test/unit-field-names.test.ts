/**
 * The fields a save names, as the page says them: flattened params are one field each, labelled as
 * AdminJS labels them, listed the way the language joins a list. Pure functions.
 */
import { describe, expect, test } from '@jest/globals'
import { fieldList, propertiesOf, propertyOf } from '../components/hooks/field-names'
import { defaultTexts, fillText, type TextKey } from '../src/texts'

const text = (key: TextKey, values?: Record<string, string>) => fillText(defaultTexts[key], values ?? {})
const label = (property: string) => property.charAt(0).toUpperCase() + property.slice(1)

describe('field names', () => {
  test('a flattened param belongs to its top-level property', () => {
    expect(propertyOf('title')).toBe('title')
    expect(propertyOf('tags.0')).toBe('tags')
    expect(propertyOf('address.city')).toBe('address')
    expect(propertiesOf(['tags.0', 'title', 'tags.1', 'address.city'])).toEqual(['tags', 'title', 'address'])
  })

  test('none, one, two and more fields, each once', () => {
    expect(fieldList([], label, text)).toBe('')
    expect(fieldList(['title'], label, text)).toBe('Title')
    expect(fieldList(['body', 'title'], label, text)).toBe('Body and Title')
    expect(fieldList(['body', 'status', 'tags.0', 'tags.1', 'title'], label, text)).toBe('Body, Status, Tags and Title')
  })
})

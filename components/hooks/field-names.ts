/**
 * The fields a change names, as the reader knows them: AdminJS's labels of the top-level
 * properties (flattened params such as `tags.0` or `address.city` are one field to the reader),
 * each once, in the order given, joined as the language joins a list ("Title and Status").
 */
import type { TextOf } from './useTexts'

/** The top-level property a flattened param belongs to. */
export function propertyOf(field: string): string {
  return field.split('.')[0] ?? field
}

/** Each property once, in first-seen order. */
export function propertiesOf(fields: readonly string[]): string[] {
  return [...new Set(fields.map(propertyOf))]
}

/** "Title", "Title and Status", "Title, Body and Status"; '' for none. */
export function fieldList(fields: readonly string[], label: (property: string) => string, text: TextOf): string {
  const names = [...new Set(propertiesOf(fields).map(label))]
  if (names.length <= 1) return names[0] ?? ''
  return text('feedAndText', { first: names.slice(0, -1).join(', '), last: names[names.length - 1]! })
}

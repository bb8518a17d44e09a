/**
 * The UI's texts: an AdminJS translation under `messages.<key>` (or
 * `resources.<resourceId>.messages.<key>`) wins; otherwise the text from the feature's options.
 * Placeholders in braces are filled afterwards, and the result is only ever rendered as text.
 */
import { useTranslation } from 'adminjs'
import { defaultTexts, fillText, type CollaborationTexts, type TextKey } from '../../src/texts'

export type TextOf = (key: TextKey, values?: Record<string, string>) => string

export function useTexts(texts: Partial<CollaborationTexts> | undefined, resourceId: string): TextOf {
  const { translateMessage } = useTranslation()
  return (key, values = {}) => {
    const defaultValue = texts?.[key] ?? defaultTexts[key]
    return fillText(translateMessage(key, resourceId, { defaultValue }), values)
  }
}

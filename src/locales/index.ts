/**
 * The languages the package ships, by AdminJS language code. English is `defaultTexts`; a
 * language missing here falls back to English (AdminJS's i18next `fallbackLng`).
 */
import { defaultTexts, type CollaborationTexts } from '../texts.js'
import { de } from './de.js'
import { es } from './es.js'
import { fr } from './fr.js'
import { pl } from './pl.js'

export const shippedTexts: Readonly<Record<string, CollaborationTexts>> = { en: defaultTexts, de, fr, es, pl }

/** The package's texts for a language (`de-AT` uses `de`), English when it ships none. */
export function shippedTextsFor(language: string): CollaborationTexts {
  return shippedTexts[language] ?? shippedTexts[language.split('-')[0] ?? ''] ?? defaultTexts
}

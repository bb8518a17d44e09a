/**
 * The page's words, from one context set at the top of the edit and show pages: every text is an
 * AdminJS translation (registered by the feature under `resources.<id>.messages.<key>`, so the
 * user's `locale.translations` win), looked up in the admin's language with the English text of
 * the options as i18next's default. Placeholders are i18next's `{{name}}`; the result is only ever
 * rendered as text. Times are formatted for the same language, and error codes become texts here,
 * so the server's English `message` is never what the admin reads.
 */
import { createContext, createElement, useContext, useMemo, type ReactNode } from 'react'
import { useTranslation } from 'adminjs'
import { ErrorCode } from '../../src/protocol'
import { defaultTexts, type CollaborationTexts, type TextKey } from '../../src/texts'
import { LocalErrorCode, type ClientError } from './request'

export type TextOf = (key: TextKey, values?: Record<string, string>) => string

export interface PageTexts {
  text: TextOf
  /** The admin's language (AdminJS's i18n), as a BCP 47 tag for Intl. */
  language: string
  /** A time of day, e.g. "14:05" or "2:05 PM". */
  time: (ms: number) => string
  /** A date and time, e.g. "2.12.2026, 14:05". */
  dateTime: (ms: number) => string
  /** What an error means, in the admin's language (the server's message only names it in English). */
  errorText: (error: ClientError) => string
  /** A place in line as the language writes it: "2nd", "2.", "2e". */
  ordinal: (n: number) => string
}

const ENGLISH_ORDINALS: Record<string, string> = { one: 'st', two: 'nd', few: 'rd', other: 'th' }

/** A place in line, written the way the language writes ordinals in running text. */
export function ordinalIn(language: string, n: number): string {
  const base = language.toLowerCase().split('-')[0]
  if (base === 'en') return `${n}${ENGLISH_ORDINALS[new Intl.PluralRules('en', { type: 'ordinal' }).select(n)] ?? 'th'}`
  if (base === 'de' || base === 'pl') return `${n}.`
  if (base === 'fr') return n === 1 ? '1er' : `${n}e`
  return String(n)
}

/** The text of each code that has no wording of its own where it is shown. */
const ERROR_TEXTS: Record<ErrorCode | LocalErrorCode, TextKey> = {
  [ErrorCode.InvalidPayload]: 'errorInvalidPayloadText',
  [ErrorCode.PayloadTooLarge]: 'errorPayloadTooLargeText',
  [ErrorCode.UnknownEvent]: 'errorUnknownEventText',
  [ErrorCode.Unauthenticated]: 'sessionEndedText',
  [ErrorCode.Forbidden]: 'errorForbiddenText',
  [ErrorCode.NotFound]: 'errorNotFoundText',
  [ErrorCode.NotJoined]: 'errorNotJoinedText',
  [ErrorCode.RateLimited]: 'errorRateLimitedText',
  [ErrorCode.LockHeld]: 'errorLockHeldText',
  [ErrorCode.StoreUnavailable]: 'errorStoreUnavailableText',
  [ErrorCode.VersionMismatch]: 'errorVersionMismatchText',
  [ErrorCode.BadOrigin]: 'originRefusedText',
  [ErrorCode.MessageEmpty]: 'chatMessageEmptyText',
  [ErrorCode.MessageTooLong]: 'errorPayloadTooLargeText',
  [ErrorCode.TooManyRecords]: 'errorTooManyRecordsText',
  [ErrorCode.TooManySockets]: 'errorTooManySocketsText',
  [ErrorCode.Queued]: 'errorQueuedText',
  // The page fetches a fresh token on every connection attempt: these pass by themselves.
  [ErrorCode.TokenInvalid]: 'errorDisconnectedText',
  [ErrorCode.TokenExpired]: 'errorDisconnectedText',
  [ErrorCode.TokenReplayed]: 'errorDisconnectedText',
  [ErrorCode.Internal]: 'errorInternalText',
  [LocalErrorCode.Disconnected]: 'errorDisconnectedText',
  [LocalErrorCode.Timeout]: 'errorTimeoutText',
}

/** An Intl formatter for the language, or the browser's own when Intl does not know the tag. */
function formatter(language: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat(language, options)
  } catch {
    return new Intl.DateTimeFormat(undefined, options)
  }
}

function usePageTexts(texts: Partial<CollaborationTexts> | undefined, resourceId: string): PageTexts {
  const { translateMessage, i18n } = useTranslation()
  // AdminJS starts i18next without `lng` unless the language is detected: the language in use is
  // then the fallback, which is the locale's `language`.
  const fallback = i18n.options?.fallbackLng
  const language = i18n.language || i18n.resolvedLanguage || (typeof fallback === 'string' ? fallback : Array.isArray(fallback) ? (fallback[0] as string) : undefined) || 'en'
  return useMemo(() => {
    const text: TextOf = (key, values = {}) => translateMessage(key, resourceId, { ...values, defaultValue: texts?.[key] ?? defaultTexts[key] })
    const times = formatter(language, { hour: 'numeric', minute: '2-digit' })
    const dateTimes = formatter(language, { dateStyle: 'medium', timeStyle: 'short' })
    return {
      text,
      language,
      time: (ms) => times.format(new Date(ms)),
      dateTime: (ms) => dateTimes.format(new Date(ms)),
      errorText: (error) => {
        const key = error.textKey ?? ERROR_TEXTS[error.code]
        return key ? text(key) : text('errorInternalText')
      },
      ordinal: (n) => ordinalIn(language, n),
    }
    // translateMessage is a new function on every render; the language is what changes its answers.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [texts, resourceId, language, i18n])
}

const TextsContext = createContext<PageTexts | null>(null)

/** At the top of a collaborator page: the texts of its resource, in the admin's language. */
export function TextsProvider({ texts, resourceId, children }: { texts: Partial<CollaborationTexts> | undefined; resourceId: string; children?: ReactNode }) {
  return createElement(TextsContext.Provider, { value: usePageTexts(texts, resourceId) }, children)
}

/** The page's texts and formats; only inside a TextsProvider. */
export function useText(): PageTexts {
  const texts = useContext(TextsContext)
  if (!texts) throw new Error('adminjs-collaborator: useText() outside of a TextsProvider')
  return texts
}

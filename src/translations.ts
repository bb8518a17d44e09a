/**
 * The package's texts are AdminJS translations: registered here for every resource with the
 * feature and every language the admin may use, so the page's lookups
 * (`translateMessage(key, resourceId)`) and AdminJS's own notices (a refusal arrives as a key and
 * its parameters, see refusal.ts) find them in the admin's language, and i18next logs no
 * `missingKey`.
 *
 * Who wins, for one key, one resource and one language:
 * 1. the user's `locale.translations.<lang>.resources.<id>.messages.<key>`, then their
 *    `locale.translations.<lang>.messages.<key>` (AdminJS's own lookup order; a resource's own
 *    `translations` option is merged over everything by AdminJS);
 * 2. the `texts` option (of the feature call, then of the Collaboration): a shortcut that applies
 *    to every language;
 * 3. the package's translation of that language (src/locales), else English.
 * A text is registered under `resources.<id>.messages.<key>` only where the user has neither
 * translation of it, so the user's global one is not hidden by ours.
 *
 * The locale is computed per page (AdminJS allows a function of the current admin), so the
 * registration wraps `admin.options.locale`, which AdminJS only reads through that one call.
 */
import type AdminJS from 'adminjs'
import type { AdminJSOptions, Locale, LocaleTranslations } from 'adminjs'
import { COMPONENT_CONFIG_KEY, LIST_PRESENCE_PROPERTY, type ComponentConfig } from './component-config.js'
import { shippedTextsFor } from './locales/index.js'
import type { CollaborationTexts } from './texts.js'

type LocaleOption = NonNullable<AdminJSOptions['locale']>
type Messages = Record<string, unknown>

export interface ResourceTexts {
  id: string
  /** What the `texts` options gave for this resource; the same in every language. */
  overrides: Partial<CollaborationTexts>
}

const registered = new WeakSet<AdminJS>()

/** Idempotent per AdminJS instance: several resources with the feature share one wrapper. */
export function registerTextsAsTranslations(admin: AdminJS): void {
  if (registered.has(admin)) return
  registered.add(admin)
  const usersLocale: LocaleOption | undefined = admin.options.locale
  admin.options.locale = async (currentAdmin) => {
    const computed = typeof usersLocale === 'function' ? await usersLocale(currentAdmin) : usersLocale
    return withCollaboratorTexts(computed ?? { language: 'en' }, resourcesWithTexts(admin))
  }
}

/** The resources using the feature, read from the config the feature gave their edit action. */
function resourcesWithTexts(admin: AdminJS): ResourceTexts[] {
  return admin.resources.flatMap((resource) => {
    const decorated = resource.decorate()
    const custom = decorated.options.actions?.edit?.custom as Partial<Record<string, ComponentConfig>> | undefined
    const config = custom?.[COMPONENT_CONFIG_KEY]
    return config ? [{ id: decorated.id(), overrides: { ...config.textOverrides } }] : []
  })
}

/** Every language the page may use: the chosen one, the offered ones, the translated ones, fallbacks. */
function languagesOf(locale: Locale): string[] {
  const fallback = locale.fallbackLng
  const fallbacks = typeof fallback === 'string' ? [fallback] : Array.isArray(fallback) ? fallback : []
  return [...new Set([locale.language ?? 'en', ...(locale.availableLanguages ?? []), ...Object.keys(locale.translations ?? {}), ...fallbacks])]
}

export function withCollaboratorTexts(locale: Locale, resources: ResourceTexts[]): Locale {
  if (resources.length === 0) return locale
  const translations: Record<string, LocaleTranslations> = { ...locale.translations }
  for (const language of languagesOf(locale)) {
    const users = locale.translations?.[language]
    const usersGlobal = (users?.messages ?? {}) as Messages
    const perResource = { ...users?.resources }
    const shipped = shippedTextsFor(language)
    for (const { id, overrides } of resources) {
      const texts: Record<string, string> = { ...shipped, ...overrides }
      const usersOwn = (users?.resources?.[id]?.messages ?? {}) as Messages
      const ours: Messages = {}
      for (const [key, text] of Object.entries(texts)) {
        if (usersGlobal[key] === undefined && usersOwn[key] === undefined) ours[key] = text
      }
      // The list's column of who is here (LIST_PRESENCE_PROPERTY) is labelled like a property.
      const properties = { [LIST_PRESENCE_PROPERTY]: texts.listPresenceColumnText, ...((users?.resources?.[id]?.properties ?? {}) as Messages) }
      perResource[id] = { ...users?.resources?.[id], messages: { ...ours, ...usersOwn }, properties }
    }
    translations[language] = { ...users, resources: perResource }
  }
  return { ...locale, translations }
}

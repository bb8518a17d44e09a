/**
 * Registers the texts of every resource with the feature as AdminJS translations, so the page's
 * lookups (`translateMessage(key, resourceId, { defaultValue })`) find a key instead of falling
 * back to `defaultValue`. Each such miss made i18next log `missingKey` in development, once per
 * text per render.
 *
 * What a page shows does not change: a text is registered under `resources.<id>.messages.<key>`
 * (the first key AdminJS looks up) only where the user's locale has neither that key nor
 * `messages.<key>`, so the user's translations keep winning, and the value is the text the
 * options resolved for that resource (`texts` of the feature call, of the Collaboration, or the
 * default). A resource's own `translations` option is merged over these by AdminJS.
 *
 * The locale is computed per page (AdminJS allows a function of the current admin), so the
 * registration wraps `admin.options.locale`, which AdminJS only reads through that one call.
 */
import type AdminJS from 'adminjs'
import type { AdminJSOptions, Locale, LocaleTranslations } from 'adminjs'
import { COMPONENT_CONFIG_KEY, type ComponentConfig } from './component-config.js'

type LocaleOption = NonNullable<AdminJSOptions['locale']>
type Messages = Record<string, unknown>

interface ResourceTexts {
  id: string
  texts: Record<string, string>
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
    return config ? [{ id: decorated.id(), texts: { ...config.texts } }] : []
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
    for (const { id, texts } of resources) {
      const usersOwn = (users?.resources?.[id]?.messages ?? {}) as Messages
      const ours: Messages = {}
      for (const [key, text] of Object.entries(texts)) {
        if (usersGlobal[key] === undefined && usersOwn[key] === undefined) ours[key] = text
      }
      perResource[id] = { ...users?.resources?.[id], messages: { ...ours, ...usersOwn } }
    }
    translations[language] = { ...users, resources: perResource }
  }
  return { ...locale, translations }
}

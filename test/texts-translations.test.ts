/**
 * The package's texts are AdminJS translations: every shipped language has every key with the
 * placeholders of English; the feature registers them per resource and language, under the
 * user's translations and over nothing else; the `texts` option is a shortcut for all languages;
 * and a refused write reaches the page as a key and parameters for AdminJS's notice to translate.
 * The page side (German in the browser) is test/browser-i18n.test.ts.
 */
import type { Locale } from 'adminjs'
import { shippedTexts } from '../src/locales/index.js'
import { defaultTexts, fillText, fromLegacyPlaceholders, placeholdersOf, type TextKey } from '../src/texts.js'
import { withCollaboratorTexts } from '../src/translations.js'
import { VERSION_PARAM, type JoinReply } from '../src/protocol.js'
import { adminApi } from './support/admin-api.js'
import { login, newTabToken, openSocket, request, unwrap } from './support/clients.js'
import { startTestApp, writingTestActions, type TestApp } from './support/app.js'

const keys = Object.keys(defaultTexts) as TextKey[]
const messagesOf = (locale: Locale, language: string, id: string) => locale.translations?.[language]?.resources?.[id]?.messages as Record<string, string>

describe('the shipped languages', () => {
  test('are German, French, Spanish and Polish besides English', () => {
    expect(Object.keys(shippedTexts).sort()).toEqual(['de', 'en', 'es', 'fr', 'pl'])
  })

  test.each(Object.keys(shippedTexts).filter((language) => language !== 'en'))('%s has every key, with the placeholders of English', (language) => {
    const texts = shippedTexts[language]!
    expect(Object.keys(texts).sort()).toEqual([...keys].sort())
    for (const key of keys) {
      expect({ key, placeholders: placeholdersOf(texts[key]) }).toEqual({ key, placeholders: placeholdersOf(defaultTexts[key]) })
      // A translation, not a copy (the few words that are the same in both languages excepted).
      if (!['chatButtonText', 'chatOnlineStatusText', 'chatUserListTitle'].includes(key)) expect({ key, text: texts[key] }).not.toEqual({ key, text: defaultTexts[key] })
    }
  })

  test("use i18next's placeholders only", () => {
    for (const texts of Object.values(shippedTexts)) {
      for (const key of keys) expect({ key, legacy: fromLegacyPlaceholders(texts[key]) }).toEqual({ key, legacy: texts[key] })
    }
  })
})

describe('placeholders', () => {
  test('the old `{x}` form is converted to `{{x}}`, once, and `{{x}}` is left alone', () => {
    expect(fromLegacyPlaceholders('Watching {editorName} since {{time}}.')).toBe('Watching {{editorName}} since {{time}}.')
    expect(fromLegacyPlaceholders(fromLegacyPlaceholders('{username}'))).toBe('{{username}}')
  })

  test('fillText fills known placeholders and leaves unknown ones visible', () => {
    expect(fillText('{{editorName}} has {{what}}', { editorName: 'Alice' })).toBe('Alice has {{what}}')
  })
})

describe('registration', () => {
  const overrides = { editorModeText: 'Editing (Post).', viewerModeText: 'Watching {{editorName}}.' }

  test('each language gets its shipped texts, English where none is shipped, with the `texts` option over them', () => {
    const locale = withCollaboratorTexts({ language: 'de', availableLanguages: ['de', 'fr', 'it', 'en'] }, [{ id: 'Post', overrides }])
    for (const language of ['de', 'fr', 'it', 'en']) {
      const messages = messagesOf(locale, language, 'Post')
      expect(Object.keys(messages).sort()).toEqual([...keys].sort())
      expect(messages.editorModeText).toBe('Editing (Post).')
    }
    expect(messagesOf(locale, 'de', 'Post').savedByText).toBe(shippedTexts.de!.savedByText)
    expect(messagesOf(locale, 'fr', 'Post').savedByText).toBe(shippedTexts.fr!.savedByText)
    expect(messagesOf(locale, 'it', 'Post').savedByText).toBe(defaultTexts.savedByText)
  })

  test("the user's translations win: per resource, and global ones too, in their language", () => {
    const users: Locale = {
      language: 'de',
      availableLanguages: ['de', 'en'],
      translations: {
        de: { messages: { viewerModeText: 'Global: {{editorName}}' }, resources: { Post: { messages: { editorModeText: 'Nur Post' } } } },
      },
    }
    const locale = withCollaboratorTexts(users, [{ id: 'Post', overrides }])
    const post = messagesOf(locale, 'de', 'Post')
    expect(post.editorModeText).toBe('Nur Post')
    // Not registered per resource, or it would hide the user's global translation (looked up second).
    expect(post.viewerModeText).toBeUndefined()
    expect(locale.translations?.de?.messages).toEqual({ viewerModeText: 'Global: {{editorName}}' })
    // Another language keeps the shortcut.
    expect(messagesOf(locale, 'en', 'Post').viewerModeText).toBe('Watching {{editorName}}.')
    // The user's object is not changed.
    expect(users.translations?.de?.resources?.Post?.messages).toEqual({ editorModeText: 'Nur Post' })
  })
})

describe('in an AdminJS app', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp(
      { texts: { editorModeText: 'Everyone edits here.', saveRefusedText: 'Held by {editorName}.' } },
      { pageFeature: { texts: { editorModeText: 'Pages edit here.' } }, postActions: writingTestActions },
    )
  })
  afterAll(() => app?.close())

  test('each resource gets the texts its options resolved, through the locale AdminJS renders', async () => {
    const option = app.admin.options.locale
    const locale = typeof option === 'function' ? await option(undefined) : option
    expect(messagesOf(locale!, 'en', 'Post').editorModeText).toBe('Everyone edits here.')
    expect(messagesOf(locale!, 'en', 'Page').editorModeText).toBe('Pages edit here.')
    expect(messagesOf(locale!, 'en', 'Post').chatButtonText).toBe('Chat')
    // The deprecated `{x}` of a user's text reaches the page as `{{x}}`.
    expect(messagesOf(locale!, 'en', 'Post').saveRefusedText).toBe('Held by {{editorName}}.')
  })

  test('a refused save arrives as a key, its parameters and the resource, with the English as default', async () => {
    const alice = await login(app.url, 'alice@example.com')
    const bob = await login(app.url, 'bob@example.com')
    const socket = await openSocket(app.url, { cookie: alice })
    try {
      unwrap(await request<JoinReply>(socket, 'record:join', { resourceId: 'Post', recordId: '1', tabToken: newTabToken(), intent: 'edit' }))
      const api = adminApi(app.url)
      const version = await api.version(bob, '1')
      const response = await fetch(`${app.url}/admin/api/resources/Post/records/1/edit`, {
        method: 'POST',
        headers: { cookie: bob, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ title: 'Bob was here', [VERSION_PARAM]: version }),
      })
      const body = (await response.json()) as { notice?: unknown; record?: { params: Record<string, unknown> } }
      expect(body.notice).toEqual({
        type: 'error',
        message: 'saveRefusedText',
        resourceId: 'Post',
        options: { editorName: 'Alice Martin', defaultValue: 'Held by Alice Martin.' },
      })
      // Still a ForbiddenError's answer: the record comes back empty, so the form keeps the input.
      expect(body.record?.params).toEqual({})

      // Every action of the resource answers the same way: delete, bulk delete (refused by its
      // before hook) and a custom action writing through the record.
      const byKey = { key: 'deleteRefusedText', options: { editorName: 'Alice Martin', defaultValue: 'Not deleted: Alice Martin is editing this record.' } }
      expect((await api.record(bob, '1', 'delete')).body.notice).toMatchObject(byKey)
      expect((await api.bulk(bob, 'bulkDelete', ['1'])).body.notice).toMatchObject(byKey)
      expect((await api.bulk(bob, 'bulkDelete', ['1', '2'])).body.notice).toMatchObject({
        key: 'bulkDeleteRefusedText',
        options: {
          records: '“Welcome to the collaborative admin” (Alice Martin)',
          defaultValue: 'Nothing was deleted: someone else is editing “Welcome to the collaborative admin” (Alice Martin).',
        },
      })
      expect((await api.record(bob, '1', 'publish')).body.notice).toMatchObject({ key: 'saveRefusedText', options: { editorName: 'Alice Martin' } })
    } finally {
      socket.close()
    }
  })
})

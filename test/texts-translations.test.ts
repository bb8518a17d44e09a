/**
 * The feature's texts registered as AdminJS translations (so page lookups find a key and i18next
 * logs no missingKey): what a page shows stays what the options and the user's translations say.
 * The browser side (no missingKey line for our texts in a development walk) is in
 * test/package-install.test.ts.
 */
import type { Locale } from 'adminjs'
import { withCollaboratorTexts } from '../src/translations.js'
import { startTestApp, type TestApp } from './support/app.js'

const texts = { editorModeText: 'Editing (Post).', viewerModeText: 'Watching {editorName}.' }

test('a text is registered per resource and language where the user has no translation of it', () => {
  const locale = withCollaboratorTexts({ language: 'de', availableLanguages: ['de', 'en'] }, [{ id: 'Post', texts }])
  for (const language of ['de', 'en']) {
    expect(locale.translations?.[language]?.resources?.Post?.messages).toEqual(texts)
  }
})

test("the user's translations win: per resource, and global ones too", () => {
  const users: Locale = {
    language: 'en',
    translations: {
      en: { messages: { viewerModeText: 'Global: {editorName}' }, resources: { Post: { messages: { editorModeText: 'Post only' } } } },
    },
  }
  const locale = withCollaboratorTexts(users, [{ id: 'Post', texts }])
  const post = locale.translations?.en?.resources?.Post?.messages as Record<string, string>
  expect(post.editorModeText).toBe('Post only')
  // Not registered per resource, or it would hide the user's global translation (looked up second).
  expect(post.viewerModeText).toBeUndefined()
  expect(locale.translations?.en?.messages).toEqual({ viewerModeText: 'Global: {editorName}' })
  // The user's object is not changed.
  expect(users.translations?.en?.resources?.Post?.messages).toEqual({ editorModeText: 'Post only' })
})

describe('in an AdminJS app', () => {
  let app: TestApp
  beforeAll(async () => {
    app = await startTestApp({ texts: { editorModeText: 'Everyone edits here.' } }, { pageFeature: { texts: { editorModeText: 'Pages edit here.' } } })
  })
  afterAll(() => app?.close())

  test('each resource gets the texts its options resolved, through the locale AdminJS renders', async () => {
    const option = app.admin.options.locale
    const locale = typeof option === 'function' ? await option(undefined) : option
    const messages = (id: string) => locale?.translations?.en?.resources?.[id]?.messages as Record<string, string>
    expect(messages('Post').editorModeText).toBe('Everyone edits here.')
    expect(messages('Page').editorModeText).toBe('Pages edit here.')
    expect(messages('Post').chatButtonText).toBe('Chat')
  })
})

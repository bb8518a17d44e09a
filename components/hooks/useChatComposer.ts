/**
 * What the user is writing, one draft per conversation, and what became of the last send. A
 * refused message (by the server, or here when it is empty or plainly too long) stays in the
 * input with the reason next to it; only an accepted one clears the input.
 */
import { useCallback, useState } from 'react'
import { ErrorCode, type ChatMessage } from '../../src/protocol'
import type { ConversationId } from './useChat'
import type { ClientError, Reply } from './request'
import { useText, type PageTexts } from './useTexts'

export interface ChatComposerOptions {
  conversation: ConversationId
  send: (to: ConversationId, text: string) => Promise<Reply<ChatMessage>>
  /** The server's limit; a longer message is refused here without asking. */
  maxLength: number
}

export interface ChatComposer {
  value: string
  change: (value: string) => void
  submit: () => void
  /** True from the send until the server answered. */
  sending: boolean
  /** Why the last send of this conversation's draft was refused, in the user's words. */
  error: ClientError | null
  dismissError: () => void
}

interface Draft {
  value: string
  sending: boolean
  error: ClientError | null
}

const EMPTY_DRAFT: Draft = { value: '', sending: false, error: null }

/** The refusal as the user should read it, in their language (never the server's English). */
export function chatErrorText(error: ClientError, { text, errorText }: PageTexts, maxLength: number): string {
  switch (error.code) {
    case ErrorCode.MessageEmpty:
      return text('chatMessageEmptyText')
    case ErrorCode.MessageTooLong:
      return text('chatMessageTooLongText', { max: String(maxLength) })
    case ErrorCode.RateLimited:
      return text('chatRateLimitedText', { seconds: String(Math.max(1, Math.ceil((error.retryInMs ?? 0) / 1000))) })
    default:
      return errorText(error)
  }
}

/**
 * Refusals known before sending. Characters are counted as code points, which is never more than
 * the server's count, so nothing the server would accept is refused here.
 */
function localRefusal(value: string, maxLength: number): ClientError | null {
  if (value.trim() === '') return { code: ErrorCode.MessageEmpty, message: 'empty message' }
  if (Array.from(value).length > maxLength) return { code: ErrorCode.MessageTooLong, message: 'message too long' }
  return null
}

export function useChatComposer({ conversation, send, maxLength }: ChatComposerOptions): ChatComposer {
  const [drafts, setDrafts] = useState<ReadonlyMap<ConversationId, Draft>>(() => new Map())
  const draft = drafts.get(conversation) ?? EMPTY_DRAFT
  const texts = useText()

  const update = useCallback((of: ConversationId, change: (draft: Draft) => Draft) => {
    setDrafts((previous) => new Map(previous).set(of, change(previous.get(of) ?? EMPTY_DRAFT)))
  }, [])

  const change = useCallback((value: string) => update(conversation, (previous) => ({ ...previous, value })), [update, conversation])

  const submit = useCallback(() => {
    const { value, sending } = draft
    if (sending) return
    const refusal = localRefusal(value, maxLength)
    if (refusal) {
      update(conversation, (previous) => ({ ...previous, error: refusal }))
      return
    }
    update(conversation, (previous) => ({ ...previous, sending: true, error: null }))
    void send(conversation, value).then((reply) => {
      update(conversation, (previous) => ({
        // Whatever was typed while it was on its way stays.
        value: reply.ok && previous.value === value ? '' : previous.value,
        sending: false,
        error: reply.ok ? null : reply.error,
      }))
    })
  }, [draft, maxLength, update, conversation, send])

  const dismissError = useCallback(() => update(conversation, (previous) => ({ ...previous, error: null })), [update, conversation])

  const error = draft.error ? { ...draft.error, message: chatErrorText(draft.error, texts, maxLength) } : null
  return { value: draft.value, change, submit, sending: draft.sending, error, dismissError }
}

/**
 * A record's chat as the page keeps it: which conversation a message belongs to, and merging what
 * arrives (live, in a history, in the sender's acknowledgement) so each message shows once, in order.
 */
import { describe, expect, test } from '@jest/globals'
import type { ChatMessage, UserView } from '../src/protocol'
import { conversationOf, mergeMessages, withMessages, type ConversationId } from '../components/hooks/chat-messages'

const ann: UserView = { id: 'ann', name: 'Ann' }
const bob: UserView = { id: 'bob', name: 'Bob' }

const message = (id: string, atMs: number, from: UserView = ann, to: string | null = null, text = `text ${id}`): ChatMessage => ({
  id,
  resourceId: 'posts',
  recordId: '1',
  from,
  to,
  text,
  atMs,
})
const ids = (messages: readonly ChatMessage[]) => messages.map((m) => m.id)

describe('conversationOf', () => {
  test("a message to everyone is in the record's conversation, whoever sent it", () => {
    expect(conversationOf(message('1', 0, ann, null), 'ann')).toBeNull()
    expect(conversationOf(message('2', 0, bob, null), 'ann')).toBeNull()
  })

  test('a one-to-one message is in the conversation with the other person, from either side', () => {
    expect(conversationOf(message('1', 0, ann, 'bob'), 'ann')).toBe('bob')
    expect(conversationOf(message('2', 0, bob, 'ann'), 'ann')).toBe('bob')
    expect(conversationOf(message('2', 0, bob, 'ann'), 'bob')).toBe('ann')
  })

  test('a message to oneself is in the conversation with oneself', () => {
    expect(conversationOf(message('1', 0, ann, 'ann'), 'ann')).toBe('ann')
  })
})

describe('mergeMessages', () => {
  test('nothing and nothing is nothing', () => {
    expect(mergeMessages([], [])).toEqual([])
  })

  test('incoming messages join the known ones, oldest first', () => {
    expect(ids(mergeMessages([message('a', 10), message('c', 30)], [message('b', 20), message('d', 40)]))).toEqual(['a', 'b', 'c', 'd'])
  })

  test('a history arriving out of order is put in order', () => {
    expect(ids(mergeMessages([], [message('c', 30), message('a', 10), message('b', 20)]))).toEqual(['a', 'b', 'c'])
  })

  test('a message both live and in a history shows once', () => {
    const live = [message('b', 20)]
    const history = [message('a', 10), message('b', 20), message('c', 30)]
    expect(ids(mergeMessages(live, history))).toEqual(['a', 'b', 'c'])
    expect(ids(mergeMessages(history, live))).toEqual(['a', 'b', 'c'])
  })

  test('duplicates inside one batch show once too', () => {
    expect(ids(mergeMessages([], [message('a', 10), message('a', 10), message('b', 20), message('a', 10)]))).toEqual(['a', 'b'])
  })

  test("the latest copy of a message wins (the server's acknowledgement over a live echo)", () => {
    const merged = mergeMessages([message('a', 10, ann, null, 'first')], [message('a', 10, ann, null, 'second')])
    expect(merged).toHaveLength(1)
    expect(merged[0]?.text).toBe('second')
  })

  test('messages sent in the same millisecond keep the order they became known in', () => {
    expect(ids(mergeMessages([message('x', 5), message('y', 5)], [message('z', 5), message('w', 4)]))).toEqual(['w', 'x', 'y', 'z'])
  })

  test('merging is idempotent and does not depend on how messages are split into batches', () => {
    const all = [message('a', 1), message('b', 2), message('c', 3), message('d', 4), message('e', 5)]
    const once = mergeMessages([], all)
    expect(mergeMessages(once, all)).toEqual(once)
    const shuffled = [all[3], all[0], all[4], all[2], all[1]] as ChatMessage[]
    let stepwise: ChatMessage[] = []
    for (const m of shuffled) stepwise = mergeMessages(stepwise, [m, m])
    expect(stepwise).toEqual(once)
  })

  test('unicode text and ids are kept as they are', () => {
    const text = 'Привет 👋🏽 — ok? 東京'
    expect(mergeMessages([], [message('🆔-1', 1, bob, 'ann', text)])[0]).toEqual(message('🆔-1', 1, bob, 'ann', text))
  })

  test('the lists it was given are left as they were', () => {
    const known = [message('b', 20)]
    const incoming = [message('a', 10)]
    const merged = mergeMessages(known, incoming)
    expect(ids(known)).toEqual(['b'])
    expect(ids(incoming)).toEqual(['a'])
    expect(merged).not.toBe(known)
  })
})

describe('withMessages', () => {
  test('merges into one conversation and leaves the others, and the previous map, as they were', () => {
    const everyone = [message('a', 1)]
    const withBob = [message('b', 2, bob, 'ann')]
    const previous = new Map<ConversationId, readonly ChatMessage[]>([
      [null, everyone],
      ['bob', withBob],
    ])
    const next = withMessages(previous, 'bob', [message('c', 3, ann, 'bob'), message('b', 2, bob, 'ann')])
    expect(ids(next.get('bob') ?? [])).toEqual(['b', 'c'])
    expect(next.get(null)).toBe(everyone)
    expect(next).not.toBe(previous)
    expect(ids(previous.get('bob') ?? [])).toEqual(['b'])
  })

  test('starts a conversation nobody had yet', () => {
    const next = withMessages(new Map(), 'carol', [message('a', 1, { id: 'carol', name: 'Carol' }, 'ann')])
    expect([...next.keys()]).toEqual(['carol'])
  })
})

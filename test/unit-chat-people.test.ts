/**
 * The chat's list of people to talk to one-to-one: everyone else on the record now, then anyone
 * with a conversation on this page who has left since, so their messages stay readable.
 */
import { expect, test } from '@jest/globals'
import type { ChatMessage, PresenceUser, UserView } from '../src/protocol'
import type { ConversationId } from '../components/hooks/chat-messages'
import { chatPeople } from '../components/chat/chat-people'

const user = (id: string, name = id.toUpperCase()): UserView => ({ id, name })
const here = (u: UserView, tabs = 1): PresenceUser => ({ user: u, tabs, onEditPage: false, sinceMs: 0 })
const message = (id: string, from: UserView, to: string | null): ChatMessage => ({ id, resourceId: 'posts', recordId: '1', from, to, text: 'hi', atMs: 0 })
const conversations = (...entries: Array<[ConversationId, ChatMessage[]]>) => new Map<ConversationId, readonly ChatMessage[]>(entries)

const ann = user('ann', 'Ann')
const bob = user('bob', 'Bob')
const carol = user('carol', 'Carol')

test('nobody else on the record and no conversation: nobody to talk to', () => {
  expect(chatPeople([here(ann)], conversations(), 'ann')).toEqual([])
  expect(chatPeople([], conversations(), 'ann')).toEqual([])
})

test('everyone else on the record is listed online, in presence order, without me', () => {
  expect(chatPeople([here(bob), here(ann), here(carol)], conversations(), 'ann')).toEqual([
    { user: bob, online: true },
    { user: carol, online: true },
  ])
})

test('a person listed twice in presence is listed once', () => {
  expect(chatPeople([here(bob, 2), here(bob)], conversations(), 'ann')).toEqual([{ user: bob, online: true }])
})

test('someone who left but has a conversation here is listed offline, after those online', () => {
  const talks = conversations(['carol', [message('1', carol, 'ann')]])
  expect(chatPeople([here(bob)], talks, 'ann')).toEqual([
    { user: bob, online: true },
    { user: carol, online: false },
  ])
})

test('someone online with a conversation is listed once, online', () => {
  const talks = conversations(['bob', [message('1', ann, 'bob'), message('2', bob, 'ann')]])
  expect(chatPeople([here(bob)], talks, 'ann')).toEqual([{ user: bob, online: true }])
})

test('someone who left is named from their own messages, not from mine to them', () => {
  const renamed = user('carol', 'Carol Smith')
  const talks = conversations(['carol', [message('1', ann, 'carol'), message('2', renamed, 'ann')]])
  expect(chatPeople([], talks, 'ann')).toEqual([{ user: renamed, online: false }])
})

test('someone who left and never wrote is named by their id', () => {
  const talks = conversations(['dave', [message('1', ann, 'dave')]])
  expect(chatPeople([], talks, 'ann')).toEqual([{ user: { id: 'dave', name: 'dave' }, online: false }])
})

test("the record's conversation and empty conversations add nobody", () => {
  const talks = conversations([null, [message('1', carol, null)]], ['dave', []])
  expect(chatPeople([], talks, 'ann')).toEqual([])
})

test('my conversation with myself does not list me', () => {
  expect(chatPeople([], conversations(['ann', [message('1', ann, 'ann')]]), 'ann')).toEqual([])
})

test('before this tab knows who it is, everyone on the record is listed', () => {
  expect(chatPeople([here(ann), here(bob)], conversations(), null)).toEqual([
    { user: ann, online: true },
    { user: bob, online: true },
  ])
})

test('offline people come in the order their conversations started', () => {
  const dave = user('dave', 'Dave')
  const talks = conversations(['dave', [message('1', dave, 'ann')]], ['carol', [message('2', carol, 'ann')]])
  expect(chatPeople([], talks, 'ann').map((person) => person.user.id)).toEqual(['dave', 'carol'])
})

test('unicode names and ids are kept as they are', () => {
  const zoe = user('zoë-🦊', 'Zoë 🦊 Ångström')
  expect(chatPeople([here(zoe)], conversations(), 'ann')).toEqual([{ user: zoe, online: true }])
})

/**
 * Which role a tab plays on a record (`lockRole`) and whether it may type (`canEditIn`): pure
 * functions of the connection, the join reply and the lease, so every combination is listed here.
 */
import { describe, expect, test } from '@jest/globals'
import type { JoinIntent, JoinReply, LeaseView, UserView } from '../src/protocol'
import type { ConnectionStatus } from '../components/hooks/useConnection'
import { canEditIn, lockRole, type LockRole } from '../components/hooks/lock-role'

const ann: UserView = { id: 'ann', name: 'Ann' }
const bob: UserView = { id: 'bob', name: 'Bob' }

const joined = (locking: boolean): JoinReply => ({ tabId: 'tab-mine', user: ann, locking, lease: null, presence: [], lockRevision: 1, presenceRevision: 1 })
const lease = (user: UserView, tabId: string): LeaseView => ({ user, tabId, fence: 7, sinceMs: 0, expiresInMs: 30_000, idleMs: 0, unsaved: false })

const LEASES = {
  'no lease': null,
  'this tab': lease(ann, 'tab-mine'),
  'another tab of mine': lease(ann, 'tab-other'),
  'another user': lease(bob, 'tab-bob'),
} as const
const INTENTS: JoinIntent[] = ['edit', 'show']
const ROLES: LockRole[] = ['connecting', 'unlocked', 'editor', 'other-tab', 'viewer', 'claiming', 'offline']

describe('lockRole', () => {
  describe.each(Object.entries(LEASES))('with %s', (_, held) => {
    test.each(INTENTS)('intent %s: offline while the connection is down, whatever was known', (intent) => {
      expect(lockRole('offline', joined(true), held, intent)).toBe('offline')
      expect(lockRole('offline', null, held, intent)).toBe('offline')
    })

    test.each(INTENTS)('intent %s: connecting until the socket is up and the join answered', (intent) => {
      expect(lockRole('connecting', joined(true), held, intent)).toBe('connecting')
      expect(lockRole('online', null, held, intent)).toBe('connecting')
    })

    test.each(INTENTS)('intent %s: unlocked on a resource without locking, even if a lease is reported', (intent) => {
      expect(lockRole('online', joined(false), held, intent)).toBe('unlocked')
    })
  })

  const locked: Array<[keyof typeof LEASES, JoinIntent, LockRole]> = [
    ['no lease', 'edit', 'claiming'],
    ['no lease', 'show', 'viewer'],
    ['this tab', 'edit', 'editor'],
    ['this tab', 'show', 'editor'],
    ['another tab of mine', 'edit', 'other-tab'],
    ['another tab of mine', 'show', 'other-tab'],
    ['another user', 'edit', 'viewer'],
    ['another user', 'show', 'viewer'],
  ]
  test.each(locked)('online and locking, %s, intent %s: %s', (held, intent, role) => {
    expect(lockRole('online', joined(true), LEASES[held], intent)).toBe(role)
  })

  test('the holder is told by tab id first: a lease naming this tab is this tab, even under another user', () => {
    // The server never grants that; the tab id is what the page compares, so it decides.
    expect(lockRole('online', joined(true), lease(bob, 'tab-mine'), 'edit')).toBe('editor')
  })

  test('another tab is told by the user id, not the name', () => {
    const namesake: UserView = { id: 'ann-2', name: 'Ann' }
    expect(lockRole('online', joined(true), lease(namesake, 'tab-other'), 'edit')).toBe('viewer')
  })

  test('every status, join, lease and intent gives one of the known roles', () => {
    const statuses: ConnectionStatus[] = ['connecting', 'online', 'offline']
    for (const status of statuses)
      for (const join of [null, joined(true), joined(false)])
        for (const held of Object.values(LEASES)) for (const intent of INTENTS) expect(ROLES).toContain(lockRole(status, join, held, intent))
  })
})

describe('canEditIn', () => {
  const LAST: Array<LockRole | null> = [null, ...ROLES]
  test.each(LAST)('the editor and an unlocked resource always edit (last settled role %s)', (last) => {
    for (const blockEditing of [true, false]) {
      expect(canEditIn('editor', last, blockEditing)).toBe(true)
      expect(canEditIn('unlocked', last, blockEditing)).toBe(true)
    }
  })

  test.each(['viewer', 'other-tab', 'claiming'] as LockRole[])('%s never edits, whatever came before', (role) => {
    for (const last of LAST) for (const blockEditing of [true, false]) expect(canEditIn(role, last, blockEditing)).toBe(false)
  })

  describe.each(['connecting', 'offline'] as LockRole[])('while %s (nothing new about the lock)', (role) => {
    test.each(['editor', 'unlocked'] as LockRole[])('a tab that was %s keeps typing, blocked resource or not', (last) => {
      expect(canEditIn(role, last, true)).toBe(true)
      expect(canEditIn(role, last, false)).toBe(true)
    })

    test.each(['viewer', 'other-tab', 'claiming', 'connecting', 'offline'] as LockRole[])('a tab that was %s waits', (last) => {
      expect(canEditIn(role, last, true)).toBe(false)
      expect(canEditIn(role, last, false)).toBe(false)
    })

    test('before any answer, the page default decides: blocked pages wait, others edit', () => {
      expect(canEditIn(role, null, true)).toBe(false)
      expect(canEditIn(role, null, false)).toBe(true)
    })
  })

  test('the cases above cover every role, last settled role and page default', () => {
    let checked = 0
    for (const role of ROLES)
      for (const last of LAST)
        for (const blockEditing of [true, false]) {
          const expected =
            role === 'editor' || role === 'unlocked'
              ? true
              : role === 'connecting' || role === 'offline'
                ? last === null
                  ? !blockEditing
                  : last === 'editor' || last === 'unlocked'
                : false
          expect([role, last, blockEditing, canEditIn(role, last, blockEditing)]).toEqual([role, last, blockEditing, expected])
          checked++
        }
    expect(checked).toBe(ROLES.length * LAST.length * 2)
  })
})

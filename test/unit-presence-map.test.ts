/**
 * The page's presence merge (components/hooks/presence-map.ts): full lists and person-by-person
 * changes, from several server processes, in any arrival order, end in the list the store holds.
 */
import { describe, expect, test } from '@jest/globals'
import type { PresenceChange, PresenceUser, UserView } from '../src/protocol'
import { applyChanges, applySnapshot, emptyPresence, presentPeople, type PresenceMap } from '../components/hooks/presence-map'

const user = (id: string): UserView => ({ id, name: `User ${id}` })
const line = (id: string, tabs = 1, sinceMs = id.charCodeAt(0)): PresenceUser => ({ user: user(id), tabs, onEditPage: false, sinceMs })
const here = (id: string, revision: number, tabs = 1): PresenceChange => ({ userId: id, person: line(id, tabs), revision })
const gone = (id: string, revision: number): PresenceChange => ({ userId: id, person: null, revision })
const names = (map: PresenceMap) => presentPeople(map).map((p) => `${p.user.id}${p.tabs > 1 ? `x${p.tabs}` : ''}`)

describe('one source, in order', () => {
  test('the join reply is the list; changes after it add and remove people', () => {
    let map = applySnapshot(emptyPresence, [line('a'), line('b')], 10)
    expect(names(map)).toEqual(['a', 'b'])
    map = applyChanges(map, [here('c', 11)])
    map = applyChanges(map, [here('a', 12, 2), gone('b', 13)])
    expect(names(map)).toEqual(['ax2', 'c'])
  })

  test('listed in order of arrival, then by user id', () => {
    const map = applySnapshot(emptyPresence, [line('z', 1, 5), line('b', 1, 1), line('a', 1, 5)], 1)
    expect(names(map)).toEqual(['b', 'a', 'z'])
  })
})

describe('out of order', () => {
  test('a change read before the join reply, arriving after it, changes nothing', () => {
    // Bob left at 9; the join reply (read at 10) does not list him; his line from 8 comes last.
    let map = applySnapshot(emptyPresence, [line('a')], 10)
    map = applyChanges(map, [here('b', 8)])
    expect(names(map)).toEqual(['a'])
    // Likewise a leave older than the list that shows the person there.
    map = applyChanges(map, [gone('a', 7)])
    expect(names(map)).toEqual(['a'])
  })

  test('changes heard before the join reply still count when they are newer than it', () => {
    let map = applyChanges(emptyPresence, [here('c', 12), gone('a', 11)])
    map = applySnapshot(map, [line('a'), line('b')], 10)
    expect(names(map)).toEqual(['b', 'c'])
  })

  test('a leave arriving before the join it undoes keeps the person gone', () => {
    let map = applySnapshot(emptyPresence, [], 1)
    map = applyChanges(map, [gone('a', 6)])
    map = applyChanges(map, [here('a', 5)])
    expect(names(map)).toEqual([])
  })

  test('an older full list changes nothing; a newer one removes everyone it does not list', () => {
    let map = applySnapshot(emptyPresence, [line('a')], 10)
    map = applyChanges(map, [here('b', 11), here('c', 12)])
    const before = names(map)
    expect(applySnapshot(map, [line('a'), line('d')], 9)).toEqual(map)
    expect(names(applySnapshot(map, [line('a'), line('d')], 9))).toEqual(before)
    // At 11: b is there, c (12) not yet known to that list, a gone by 11.
    expect(names(applySnapshot(map, [line('b')], 11))).toEqual(['b', 'c'])
  })

  test('at one revision, fewer tabs is the later reading (an expiry raises no counter), and gone is none', () => {
    let map = applySnapshot(emptyPresence, [line('a', 3)], 10)
    map = applyChanges(map, [here('a', 10, 2)])
    expect(names(map)).toEqual(['ax2'])
    map = applyChanges(map, [here('a', 10, 3)])
    expect(names(map)).toEqual(['ax2'])
    expect(names(applySnapshot(map, [], 10))).toEqual([])
    // And a list at the floor's revision cannot bring back someone it is not sure of.
    expect(names(applyChanges(applySnapshot(map, [], 10), [here('a', 10)]))).toEqual([])
  })

  test('a message heard twice changes nothing', () => {
    const map = applyChanges(applySnapshot(emptyPresence, [line('a')], 10), [here('b', 11)])
    expect(applyChanges(map, [here('b', 11)])).toBe(map)
    expect(applySnapshot(applySnapshot(map, [line('b')], 12), [line('b')], 12)).toEqual(applySnapshot(map, [line('b')], 12))
  })
})

describe('size', () => {
  test('people gone by the last full list leave no line behind', () => {
    let map = applySnapshot(emptyPresence, [], 1)
    for (let r = 2; r < 200; r += 2) map = applyChanges(map, [here(`u${r}`, r), gone(`u${r}`, r + 1)])
    expect(map.people.size).toBe(99)
    map = applySnapshot(map, [line('x')], 500)
    expect(map.people.size).toBe(1)
    expect(names(map)).toEqual(['x'])
  })
})

/** A deterministic PRNG (mulberry32), so a failing order can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Message = { kind: 'changes'; changes: PresenceChange[] } | { kind: 'snapshot'; users: PresenceUser[]; revision: number }

/**
 * A store's history: tabs of six users join and leave one record (each operation raising the
 * revision), each of two server processes announcing its own operations' changes, batched as a tick
 * would batch them, and a full list now and then. Returns every message and the final true list.
 */
function history(
  rand: () => number,
  operations: number,
): { messages: Message[]; truth: PresenceUser[]; replies: Array<{ from: number; users: PresenceUser[]; revision: number }> } {
  const tabs = new Map<string, { userId: string; sinceMs: number }>()
  const lineOf = (userId: string): PresenceUser | null => {
    const mine = [...tabs.values()].filter((tab) => tab.userId === userId)
    return mine.length ? { user: user(userId), tabs: mine.length, onEditPage: false, sinceMs: Math.min(...mine.map((t) => t.sinceMs)) } : null
  }
  const everyone = () => [...new Set([...tabs.values()].map((t) => t.userId))].map((id) => lineOf(id)!)
  const messages: Message[] = []
  // Join replies of late joiners: the true list at that revision, and the first message they hear.
  const replies: Array<{ from: number; users: PresenceUser[]; revision: number }> = []
  const pending: Array<Map<string, PresenceChange>> = [new Map(), new Map()]
  const flush = (process: number) => {
    if (pending[process]!.size) messages.push({ kind: 'changes', changes: [...pending[process]!.values()] })
    pending[process] = new Map()
  }
  let revision = 1000
  let nextTab = 0
  for (let i = 0; i < operations; i++) {
    revision += 1
    const userId = `u${Math.floor(rand() * 6)}`
    const own = [...tabs].filter(([, tab]) => tab.userId === userId)
    if (own.length && rand() < 0.45) tabs.delete(own[Math.floor(rand() * own.length)]![0])
    else tabs.set(`tab${nextTab++}`, { userId, sinceMs: revision })
    const process = rand() < 0.5 ? 0 : 1
    pending[process]!.set(userId, { userId, person: lineOf(userId), revision })
    if (rand() < 0.3) flush(process)
    if (rand() < 0.05) messages.push({ kind: 'snapshot', users: everyone(), revision })
    if (rand() < 0.1) replies.push({ from: messages.length, users: everyone(), revision })
    // Lock changes raise the same counter: gaps are normal.
    if (rand() < 0.2) revision += 1
  }
  flush(0)
  flush(1)
  return { messages, truth: everyone(), replies }
}

function shuffled<T>(items: T[], rand: () => number): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
  }
  return copy
}

const apply = (map: PresenceMap, message: Message) => (message.kind === 'changes' ? applyChanges(map, message.changes) : applySnapshot(map, message.users, message.revision))

describe('any arrival order ends in the true list', () => {
  test.each(Array.from({ length: 40 }, (_, seed) => seed))('history %i, shuffled 20 times, with a join reply at any point', (seed) => {
    const rand = random(seed + 1)
    const { messages, truth } = history(rand, 60)
    const sortedTruth = presentPeople(applySnapshot(emptyPresence, truth, Number.MAX_SAFE_INTEGER))
    for (let order = 0; order < 20; order++) {
      // The join reply: a full list at revision 1000 (before everything), merged wherever it lands.
      const all: Message[] = [...messages, { kind: 'snapshot', users: [], revision: 1000 }]
      const map = shuffled(all, rand).reduce(apply, emptyPresence)
      expect(presentPeople(map)).toEqual(sortedTruth)
    }
  })

  test.each(Array.from({ length: 20 }, (_, seed) => seed))('history %i: a late joiner hears only what is sent after it arrived, and still ends right', (seed) => {
    const rand = random(1000 + seed)
    const { messages, truth, replies } = history(rand, 80)
    const sortedTruth = presentPeople(applySnapshot(emptyPresence, truth, Number.MAX_SAFE_INTEGER))
    expect(replies.length).toBeGreaterThan(0)
    for (const reply of replies) {
      // In the room first, then the join read the list: it hears every message sent from then on
      // (batches of changes older than its reply among them), in any order, the reply among them.
      const heard: Message[] = [...messages.slice(reply.from), { kind: 'snapshot', users: reply.users, revision: reply.revision }]
      expect(presentPeople(shuffled(heard, rand).reduce(apply, emptyPresence))).toEqual(sortedTruth)
    }
  })
})

/**
 * Who is on a record, merged from everything the server said about it: full lists (the join reply,
 * `presence:state`) and person-by-person changes (`presence:changed`), from any number of server
 * processes, in whatever order they arrive (see `PresenceChange` in src/protocol.ts).
 *
 * For each person the page keeps what it heard at the highest revision; a full list at revision R
 * says of everyone: listed at R, or gone at R. Merging takes, per person, the later of what was
 * known and what arrives, so the result is the same in any arrival order and a message heard twice
 * changes nothing. To stay small, the map does not keep everyone ever gone: `floor` is the highest
 * revision of a full list merged, and anyone without a line was gone by then.
 *
 * Pure functions of immutable values, for React state; unit-tested in test/unit-presence-map.test.ts.
 * Server tests and the bench merge with it too, so they see what a page shows: hence the `.js` in
 * the (type-only, so erased from the bundle) import, which Node's module resolution wants.
 */
import type { PresenceChange, PresenceUser, Revision } from '../../src/protocol.js'

/** One person as last heard: `person` null when they had left. */
export interface Heard {
  person: PresenceUser | null
  revision: Revision
}

export interface PresenceMap {
  /** The highest revision of a full list merged (null: none yet, so nobody is known to be gone). */
  readonly floor: Revision | null
  /** By user id, what was heard of each person that a gone-at-`floor` would not say. */
  readonly people: ReadonlyMap<string, Heard>
}

export const emptyPresence: PresenceMap = { floor: null, people: new Map() }

const tabsOf = (heard: Heard): number => heard.person?.tabs ?? 0

/**
 * Whether `incoming` is later than `known`: a higher revision, or the same one read after an
 * expiry (which raises no counter and only ever removes tabs), i.e. with fewer tabs.
 */
function isLater(incoming: Heard, known: Heard): boolean {
  return incoming.revision > known.revision || (incoming.revision === known.revision && tabsOf(incoming) < tabsOf(known))
}

function known(map: PresenceMap, people: ReadonlyMap<string, Heard>, userId: string): Heard | undefined {
  return people.get(userId) ?? (map.floor === null ? undefined : { person: null, revision: map.floor })
}

/** Merges person-by-person changes; returns `map` itself when they tell nothing new. */
export function applyChanges(map: PresenceMap, changes: readonly PresenceChange[]): PresenceMap {
  let people: Map<string, Heard> | null = null
  for (const { userId, person, revision } of changes) {
    const incoming: Heard = { person, revision }
    const before = known(map, people ?? map.people, userId)
    if (before && !isLater(incoming, before)) continue
    people ??= new Map(map.people)
    people.set(userId, incoming)
  }
  return people ? { floor: map.floor, people } : map
}

/** Merges a full list: everyone in `users` is there at `revision`, everyone else gone by then. */
export function applySnapshot(map: PresenceMap, users: readonly PresenceUser[], revision: Revision): PresenceMap {
  const listed = new Map(users.map((person) => [person.user.id, person]))
  const floor = map.floor === null ? revision : Math.max(map.floor, revision)
  const people = new Map<string, Heard>()
  for (const userId of new Set([...map.people.keys(), ...listed.keys()])) {
    const said: Heard = { person: listed.get(userId) ?? null, revision }
    const before = known(map, map.people, userId)
    const kept = !before || isLater(said, before) ? said : before
    // Gone at or before the floor is what the floor says of anyone without a line.
    if (kept.person === null && kept.revision <= floor) continue
    people.set(userId, kept)
  }
  return { floor, people }
}

/** The people there, in order of arrival (then by user id, so every page lists alike). */
export function presentPeople(map: PresenceMap): PresenceUser[] {
  const present: PresenceUser[] = []
  for (const { person } of map.people.values()) if (person) present.push(person)
  return present.sort((a, b) => a.sinceMs - b.sinceMs || (a.user.id < b.user.id ? -1 : a.user.id > b.user.id ? 1 : 0))
}

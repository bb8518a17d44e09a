/**
 * A socket's view of one record's presence, kept the way the page keeps it (components/hooks/
 * presence-map.ts): the join reply, then every `presence:changed` and `presence:state`, merged by
 * revision. Attach it before the join, so nothing sent meanwhile is missed. It also counts the
 * presence frames (and their bytes, as JSON) that reached the socket.
 */
import type { JoinReply, PresenceChangedEvent, PresenceStateEvent, PresenceUser, RecordRef } from '../../src/protocol.js'
import { applyChanges, applySnapshot, emptyPresence, presentPeople, type PresenceMap } from '../../components/hooks/presence-map.js'
import type { TestSocket } from './clients.js'

export class PresenceWatch {
  private map: PresenceMap = emptyPresence
  private joinedOnce = false
  private readonly waiters = new Set<() => void>()
  /** Every presence message received, in arrival order. */
  readonly received: Array<{ event: 'presence:changed'; payload: PresenceChangedEvent } | { event: 'presence:state'; payload: PresenceStateEvent }> = []
  bytes = 0

  private readonly onChanged = (event: PresenceChangedEvent) => {
    if (!this.mine(event)) return
    this.received.push({ event: 'presence:changed', payload: event })
    this.bytes += JSON.stringify(event).length
    this.update(applyChanges(this.map, event.changes))
  }

  private readonly onState = (state: PresenceStateEvent) => {
    if (!this.mine(state)) return
    this.received.push({ event: 'presence:state', payload: state })
    this.bytes += JSON.stringify(state).length
    this.update(applySnapshot(this.map, state.users, state.revision))
  }

  constructor(
    private readonly socket: TestSocket,
    private readonly ref: RecordRef,
  ) {
    socket.on('presence:changed', this.onChanged)
    socket.on('presence:state', this.onState)
  }

  private mine(event: RecordRef): boolean {
    return event.resourceId === this.ref.resourceId && event.recordId === this.ref.recordId
  }

  private update(map: PresenceMap): void {
    this.map = map
    for (const waiter of [...this.waiters]) waiter()
  }

  /** Merges the join reply (the page's baseline); returns the reply. */
  joined(reply: JoinReply): JoinReply {
    this.joinedOnce = true
    this.update(applySnapshot(this.map, reply.presence, reply.presenceRevision))
    return reply
  }

  /** Who the page would show now. */
  people(): PresenceUser[] {
    if (!this.joinedOnce) throw new Error('PresenceWatch: no join reply merged yet')
    return presentPeople(this.map)
  }

  names(): string[] {
    return this.people().map((person) => person.user.name)
  }

  /** Resolves with the list once `check` accepts it (now or after a later message). */
  until(check: (people: PresenceUser[]) => boolean, timeoutMs = 5000, what = 'the presence list'): Promise<PresenceUser[]> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        if (!this.joinedOnce || !check(this.people())) return
        clearTimeout(timer)
        this.waiters.delete(attempt)
        resolve(this.people())
      }
      const timer = setTimeout(() => {
        this.waiters.delete(attempt)
        reject(new Error(`${what} not reached within ${timeoutMs} ms; shown: ${JSON.stringify(this.joinedOnce ? this.names() : null)}`))
      }, timeoutMs)
      this.waiters.add(attempt)
      attempt()
    })
  }

  untilNames(expected: string[], timeoutMs = 5000): Promise<PresenceUser[]> {
    const wanted = JSON.stringify(expected)
    return this.until((people) => JSON.stringify(people.map((p) => p.user.name)) === wanted, timeoutMs, `presence ${wanted}`)
  }

  stop(): void {
    this.socket.off('presence:changed', this.onChanged)
    this.socket.off('presence:state', this.onState)
  }
}

/**
 * The next presence message about `ref` that says `userId` is `there` (a change with their line, a
 * whole list with them) or `gone` (a change saying they left, a whole list without them), with when
 * it arrived. For tests that wait for one person, without following the whole list.
 */
export function nextPresenceOf(
  socket: TestSocket,
  ref: RecordRef,
  userId: string,
  what: 'there' | 'gone',
  timeoutMs = 5000,
): Promise<{ atMs: number; person: PresenceUser | null }> {
  return new Promise((resolve, reject) => {
    const mine = (event: RecordRef) => event.resourceId === ref.resourceId && event.recordId === ref.recordId
    const settle = (person: PresenceUser | null) => {
      if ((person !== null) !== (what === 'there')) return
      stop()
      resolve({ atMs: Date.now(), person })
    }
    const onChanged = (event: PresenceChangedEvent) => {
      const change = mine(event) ? event.changes.find((c) => c.userId === userId) : undefined
      if (change) settle(change.person)
    }
    const onState = (state: PresenceStateEvent) => {
      if (mine(state)) settle(state.users.find((person) => person.user.id === userId) ?? null)
    }
    const timer = setTimeout(() => {
      stop()
      reject(new Error(`no presence message saying ${userId} is ${what} within ${timeoutMs} ms`))
    }, timeoutMs)
    const stop = () => {
      clearTimeout(timer)
      socket.off('presence:changed', onChanged)
      socket.off('presence:state', onState)
    }
    socket.on('presence:changed', onChanged)
    socket.on('presence:state', onState)
  })
}

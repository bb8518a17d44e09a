/**
 * Reads of one key that wait at the same time share one read: a page reload of a busy admin
 * reconnects every tab of a session at once, and the tabs on one record join it at once.
 *
 * A reader never gets the answer of a read sent before it came, so it sees every change that was
 * complete when it came (a logout, a record deleted, a permission withdrawn): when a read of its key
 * is under way it waits for that one to end, and then shares the next read with everyone else who
 * came meanwhile. So at most one read per key is under way, and one more is waited for. A read still
 * unanswered after `maxWaitMs` is not waited for: later readers read afresh (a source that never
 * answers must not hold every later reader of that key too).
 */
interface Pending<V> {
  current: Promise<V>
  issuedAt: number
  /** The read that those who came while `current` was running share; sent once `current` ends. */
  next?: Promise<V>
}

export class SharedReads<V> {
  private readonly pending = new Map<string, Pending<V>>()

  constructor(private readonly maxWaitMs = 2_000) {}

  /** What `load` answers, or a read of `key` that came after this call did (same key, same answer). */
  read(key: string, load: () => Promise<V>): Promise<V> {
    const under = this.pending.get(key)
    if (!under || Date.now() - under.issuedAt > this.maxWaitMs) return this.issue(key, load)
    under.next ??= under.current.then(
      () => this.issue(key, load),
      () => this.issue(key, load),
    )
    return under.next
  }

  private issue(key: string, load: () => Promise<V>): Promise<V> {
    // Called synchronously here, so that the read is sent before anyone else comes.
    let current: Promise<V>
    try {
      current = load()
    } catch (error) {
      current = Promise.reject(error)
    }
    const entry: Pending<V> = { current, issuedAt: Date.now() }
    this.pending.set(key, entry)
    const done = () => {
      if (this.pending.get(key) === entry && !entry.next) this.pending.delete(key)
    }
    current.then(done, done)
    return current
  }
}

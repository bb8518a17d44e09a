/**
 * Renews the presence entries of this process's sockets, one store call per record per tick, and
 * has the record's room told everyone on it (`presence:state`) when the renewal found entries of
 * others expired (their process died): an expiry is not one person's change the server saw.
 * It keeps the entries themselves, so that when the store comes back (possibly without its data,
 * after a Redis restart) they are written again as they were, arrival times included.
 *
 * It also keeps the store's index of viewed records (`presence.index`) for this process's records:
 * a record is indexed when its first local entry is tracked and again on every tick, in one call
 * apart from the join's (it never delays a join), so the locks page of any process lists it.
 */
import type { RecordRef } from '../protocol.js'
import type { PresenceEntry, PresenceStore } from '../store/store.js'

/** Records per index call: one script's arguments stay small however many records a process holds. */
const INDEX_BATCH = 500

export class PresenceKeeper {
  private readonly records = new Map<string, { ref: RecordRef; entries: Map<string, PresenceEntry> }>()
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly presence: PresenceStore,
    private readonly ttlMs: number,
    intervalMs: number,
    /** The record's list changed in a way its room has not heard of yet. */
    private readonly onChanged: (recordKey: string, ref: RecordRef) => void,
  ) {
    this.timer = setInterval(() => void this.renewAll(), intervalMs)
    this.timer.unref()
  }

  track(recordKey: string, ref: RecordRef, entry: PresenceEntry): void {
    const known = this.records.get(recordKey)
    const record = known ?? { ref, entries: new Map<string, PresenceEntry>() }
    record.entries.set(entry.id, entry)
    this.records.set(recordKey, record)
    if (!known) this.index([recordKey])
  }

  /** Marks records as viewed in the store's index; a store away misses one mark, the next tick writes it. */
  private index(recordKeys: string[]): void {
    for (let i = 0; i < recordKeys.length; i += INDEX_BATCH) {
      this.presence.index(recordKeys.slice(i, i + INDEX_BATCH), this.ttlMs).catch(() => undefined)
    }
  }

  /** Stops renewing the socket's entry on the record; returns the entry, if it was tracked. */
  untrack(recordKey: string, socketId: string): PresenceEntry | undefined {
    const record = this.records.get(recordKey)
    const entry = record?.entries.get(socketId)
    if (!record || !entry) return undefined
    record.entries.delete(socketId)
    if (record.entries.size === 0) this.records.delete(recordKey)
    return entry
  }

  private async renewAll(): Promise<void> {
    this.index([...this.records.keys()])
    await Promise.all(
      [...this.records].map(async ([recordKey, { ref, entries }]) => {
        try {
          if (await this.presence.renew(recordKey, [...entries.keys()], this.ttlMs)) this.onChanged(recordKey, ref)
        } catch {
          // The store is unreachable: try again next tick; entries outlive a few missed renewals.
        }
      }),
    )
  }

  /** Writes every entry again (the store just came back, perhaps empty) and tells each room. */
  async rejoinAll(): Promise<void> {
    this.index([...this.records.keys()])
    await Promise.all(
      [...this.records].map(async ([recordKey, { ref, entries }]) => {
        try {
          for (const entry of [...entries.values()]) {
            // Checked right before sending: a socket that left meanwhile sends its leave after this.
            if (entries.get(entry.id) === entry) await this.presence.join(recordKey, entry, this.ttlMs)
          }
          this.onChanged(recordKey, ref)
        } catch {
          // Down again: the next recovery writes them; until then renewals keep what is there.
        }
      }),
    )
  }

  close(): void {
    clearInterval(this.timer)
    this.records.clear()
  }
}

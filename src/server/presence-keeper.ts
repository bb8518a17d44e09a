/**
 * Renews the presence entries of this process's sockets, one store call per record per tick, and
 * tells a record's room when the renewal found entries of others expired (their process died).
 */
import type { RecordRef } from '../protocol.js'
import type { PresenceStore } from '../store/store.js'

export class PresenceKeeper {
  private readonly records = new Map<string, { ref: RecordRef; socketIds: Set<string> }>()
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly presence: PresenceStore,
    private readonly ttlMs: number,
    intervalMs: number,
    private readonly onExpired: (recordKey: string, ref: RecordRef) => void,
  ) {
    this.timer = setInterval(() => void this.renewAll(), intervalMs)
    this.timer.unref()
  }

  track(recordKey: string, ref: RecordRef, socketId: string): void {
    const record = this.records.get(recordKey) ?? { ref, socketIds: new Set<string>() }
    record.socketIds.add(socketId)
    this.records.set(recordKey, record)
  }

  untrack(recordKey: string, socketId: string): void {
    const record = this.records.get(recordKey)
    if (!record) return
    record.socketIds.delete(socketId)
    if (record.socketIds.size === 0) this.records.delete(recordKey)
  }

  private async renewAll(): Promise<void> {
    await Promise.all(
      [...this.records].map(async ([recordKey, { ref, socketIds }]) => {
        try {
          if (await this.presence.renew(recordKey, [...socketIds], this.ttlMs)) this.onExpired(recordKey, ref)
        } catch {
          // The store is unreachable: try again next tick; entries outlive a few missed renewals.
        }
      }),
    )
  }

  close(): void {
    clearInterval(this.timer)
    this.records.clear()
  }
}

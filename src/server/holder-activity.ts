/**
 * When the room should hear of the holder's activity (`lock:holder`): not at every report (a typing
 * editor reports every few seconds, and a room of 100 would hear each), only when it is news. News
 * is a change of whether the page has unsaved input, another lease (fence) than the one last told,
 * or a told activity `HOLDER_ACTIVITY_REFRESH_MS` old: pages show a holder idle only after
 * `HOLDER_IDLE_SHOWN_MS` without hearing, so an active one is told again before that.
 *
 * What was told lives in this process only. A holder whose socket moved to another process is
 * told once more there: one extra message, never a missing one.
 */
import { HOLDER_ACTIVITY_REFRESH_MS } from '../protocol.js'
import type { Lease } from '../store/store.js'

interface Told {
  fence: number
  /** The activity the room heard of last (epoch ms, server clock). */
  activeMs: number
  unsaved: boolean
}

export class HolderActivityNews {
  private readonly told = new Map<string, Told>()
  /** The map's size after the last sweep: swept again when it has doubled, so it stays about as big as the held records. */
  private sweptAt = 0

  /** Whether the room should hear of `lease` (just touched); if so, remembers it as told. */
  isNews(recordKey: string, lease: Lease, nowMs = Date.now()): boolean {
    const last = this.told.get(recordKey)
    const news = !last || last.fence !== lease.fence || last.unsaved !== lease.unsaved || lease.lastActiveMs - last.activeMs >= HOLDER_ACTIVITY_REFRESH_MS
    if (!news) return false
    this.told.set(recordKey, { fence: lease.fence, activeMs: lease.lastActiveMs, unsaved: lease.unsaved })
    if (this.told.size > 2 * this.sweptAt + 64) this.sweep(nowMs)
    return true
  }

  /** Forgets what was told long enough ago that its lease has surely been told anew or ended. */
  private sweep(nowMs: number): void {
    for (const [recordKey, last] of this.told) if (nowMs - last.activeMs > 2 * HOLDER_ACTIVITY_REFRESH_MS) this.told.delete(recordKey)
    this.sweptAt = this.told.size
  }
}

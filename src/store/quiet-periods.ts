/**
 * The restart-quiet periods of one RedisStore: while one runs, no free record is granted to anyone
 * new (only holders re-assert their leases), because the Redis that lost data may have held leases
 * whose holders still edit.
 *
 * On one Redis server a period covers every record. On a Redis Cluster a restarted or failed-over
 * master lost (at most) what lived in its own slots, so the period covers those slots only: the
 * records on the other masters go on being granted. A period whose slots are unknown (the cluster
 * could not say which it served) covers every record, as on one server.
 */
import { slotOf } from './slot.js'

interface SlotPeriod {
  from: number
  to: number
  until: number
}

export class QuietPeriods {
  private everyRecordUntil = 0
  private slotPeriods: SlotPeriod[] = []

  /** What is left, in whole ms, of the periods covering the record whose keys are in `slotKey`'s slot (0: none). */
  leftMs(slotKey: string): number {
    const now = Date.now()
    let until = this.everyRecordUntil
    if (this.slotPeriods.length > 0) {
      this.slotPeriods = this.slotPeriods.filter((period) => period.until > now)
      const slot = slotOf(slotKey)
      for (const period of this.slotPeriods) if (slot >= period.from && slot <= period.to && period.until > until) until = period.until
    }
    return Math.max(0, Math.ceil(until - now))
  }

  /** A period of `ms` for every record (or lengthens the one that runs). */
  startEverywhere(ms: number): void {
    this.everyRecordUntil = Math.max(this.everyRecordUntil, Date.now() + ms)
  }

  /** A period of `ms` for the records in these slot ranges (inclusive, as CLUSTER SLOTS gives them). */
  startInSlots(ranges: ReadonlyArray<readonly [number, number]>, ms: number): void {
    const until = Date.now() + ms
    // The same range again (each check adopts the shared key anew) lengthens its period at most.
    for (const [from, to] of ranges) {
      const same = this.slotPeriods.find((period) => period.from === from && period.to === to)
      if (same) same.until = Math.max(same.until, until)
      else this.slotPeriods.push({ from, to, until })
    }
  }
}

/**
 * The one ordering rule for record state (see `Revision` in src/protocol.ts): a state applies when
 * its revision is at least the last applied one of its kind. Equal revisions are the same state
 * read twice (a lease that ran out raises no counter), so they apply too.
 */
import type { Revision } from '../../src/protocol'

export function isCurrent(incoming: Revision, lastApplied: Revision | null | undefined): boolean {
  return lastApplied === null || lastApplied === undefined || incoming >= lastApplied
}

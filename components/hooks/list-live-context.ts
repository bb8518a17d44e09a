/**
 * What the live list page knows of each row, for the cells of its "who is here" column, which
 * AdminJS renders deep inside its table: who edits and views it, and what happened to it while the
 * page was open (the change feed). Outside a live list (another list component) it is empty.
 */
import { createContext, useContext } from 'react'
import type { ChangeEvent } from '../../src/protocol'
import type { RowLive } from './useListWatch'

export interface ListLive {
  rows: ReadonlyMap<string, RowLive>
  /** The latest change of each row seen since the page opened (a deleted row keeps its deletion). */
  changes: ReadonlyMap<string, ChangeEvent>
}

export const ListLiveContext = createContext<ListLive | null>(null)

export function useListLive(): ListLive | null {
  return useContext(ListLiveContext)
}

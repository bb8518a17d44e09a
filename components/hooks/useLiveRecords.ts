/**
 * A list page's records, as AdminJS's own `useRecords` fetches them (the list action with the
 * page's query string: filters, sort, page), with one difference: `refresh()` fetches the same
 * page again quietly, without the table's loading state, so rows change in place and nothing the
 * user set (filters, sorting, page, selection) moves. AdminJS's `refresh=true` in the address (after
 * a save elsewhere in the admin) is honoured as its list honours it.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import { useLocation, useNavigate } from 'react-router'
import { ApiClient, useNotice, type RecordJSON } from 'adminjs'

const REFRESH_KEY = 'refresh'

interface ListMeta {
  page: number
  perPage: number
  total: number
  direction: 'asc' | 'desc'
  sortBy: string | undefined
}

export interface LiveRecords extends ListMeta {
  records: RecordJSON[]
  loading: boolean
  /** Fetches the same page again; shows nothing while it does. */
  refresh: () => Promise<void>
  /** Changes one shown record in place (a deleted one marked). */
  patch: (recordId: string, change: (record: RecordJSON) => RecordJSON) => void
}

export function useLiveRecords(resourceId: string): LiveRecords {
  const location = useLocation()
  const navigate = useNavigate()
  const addNotice = useNotice()
  const [records, setRecords] = useState<RecordJSON[]>([])
  const [loading, setLoading] = useState(false)
  const [meta, setMeta] = useState<ListMeta>({ page: 1, perPage: 10, total: 0, direction: 'asc', sortBy: undefined })
  const searchRef = useRef(location.search)
  searchRef.current = location.search
  /** Answers of older fetches must not overwrite newer ones. */
  const fetchCount = useRef(0)

  const fetchPage = useCallback(
    async (quiet: boolean) => {
      const count = ++fetchCount.current
      if (!quiet) setLoading(true)
      try {
        const response = await new ApiClient().resourceAction({ actionName: 'list', resourceId, params: new URLSearchParams(searchRef.current) } as never)
        if (count !== fetchCount.current) return
        const data = response.data as { records: RecordJSON[]; meta: ListMeta; redirectUrl?: string }
        if (data.redirectUrl) {
          navigate(data.redirectUrl)
          return
        }
        setRecords(data.records)
        setMeta({ page: data.meta.page, perPage: data.meta.perPage, total: data.meta.total, direction: data.meta.direction, sortBy: data.meta.sortBy })
      } catch {
        if (!quiet) addNotice({ message: 'errorFetchingRecords', type: 'error', resourceId } as never)
      } finally {
        if (count === fetchCount.current) setLoading(false)
      }
    },
    // useNotice gives a new function on every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [resourceId, navigate],
  )

  useEffect(() => {
    const search = new URLSearchParams(location.search)
    if (search.get(REFRESH_KEY)) {
      search.delete(REFRESH_KEY)
      navigate({ pathname: location.pathname, search: search.toString() }, { replace: true })
      return
    }
    void fetchPage(false)
  }, [resourceId, location.search, location.state, location.pathname, navigate, fetchPage])

  const refresh = useCallback(() => fetchPage(true), [fetchPage])
  const patch = useCallback((recordId: string, change: (record: RecordJSON) => RecordJSON) => {
    setRecords((shown) => shown.map((record) => (String(record.id) === recordId ? change(record) : record)))
  }, [])
  return { records, loading, ...meta, refresh, patch }
}

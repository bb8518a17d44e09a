/**
 * A resource's list, live (#14): AdminJS's own table and pagination over the list action's records,
 * plus who is on each row (a column, CollaboratorListCell) and the change feed of the resource.
 * When someone else saves a row or creates a record, the same page is fetched again quietly: rows
 * change in place and new ones appear where the sort puts them, with the filters, sorting, page
 * and selection kept (they live in the address and in this component, not in the rows). A deleted
 * row stays where it was, marked "Deleted by Bob", with no actions and no checkbox, until the page
 * is left. One `list:watch` follows the whole page.
 * Registered by the feature as the `list` action component under the name 'CollaboratorList'.
 */
import React, { useEffect, useMemo, useRef, useState } from 'react'
import { RecordsTable, useQueryParams, useSelectedRecords, type ActionProps, type RecordJSON } from 'adminjs'
import { Box, Pagination, Text } from '@adminjs/design-system'
import type { ChangeEvent } from '../src/protocol'
import CollaborationProvider from './CollaborationProvider'
import { configOf } from './config'
import { useCollaborationSocket } from './hooks/collaboration-context'
import { ListLiveContext } from './hooks/list-live-context'
import { useListWatch } from './hooks/useListWatch'
import { useLiveRecords } from './hooks/useLiveRecords'
import { TextsProvider } from './hooks/useTexts'

/** Changes arriving together (a bulk delete, several saves) cost one fetch. */
const REFRESH_DELAY_MS = 150

/** A deleted record as the table should show it: nothing can be done to it any more. */
const asDeleted = (record: RecordJSON): RecordJSON => ({ ...record, recordActions: [], bulkActions: [] })

const LiveList: React.FC<ActionProps> = ({ resource, setTag }) => {
  const socket = useCollaborationSocket()
  const live = useLiveRecords(resource.id)
  const { records, refresh, patch } = live
  const { selectedRecords, handleSelect, handleSelectAll, setSelectedRecords } = useSelectedRecords(records)
  const { storeParams } = useQueryParams()
  const [changes, setChanges] = useState<ReadonlyMap<string, ChangeEvent>>(new Map())
  const recordIds = useMemo(() => records.map((record) => String(record.id)), [records])
  const rows = useListWatch(resource.id, recordIds)
  const refreshTimer = useRef<ReturnType<typeof setTimeout>>()
  const deleted = useRef(new Map<string, RecordJSON>())

  useEffect(() => {
    setTag?.(live.total.toString())
    // setTag is AdminJS's, new on every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [live.total])
  useEffect(() => setSelectedRecords([]), [resource.id, setSelectedRecords])

  // Another page of the list (or other filters): what happened on this one is no longer shown.
  const search = typeof window === 'undefined' ? '' : window.location.search
  useEffect(() => {
    deleted.current.clear()
    setChanges(new Map())
  }, [resource.id, search])

  useEffect(() => {
    const onChange = (change: ChangeEvent) => {
      if (change.resourceId !== resource.id) return
      setChanges((before) => new Map(before).set(change.recordId, change))
      if (change.kind === 'deleted') {
        // Kept in place and marked, not fetched away: the user sees what went.
        patch(change.recordId, (record) => {
          const gone = asDeleted(record)
          deleted.current.set(change.recordId, gone)
          return gone
        })
        // AdminJS types its setter for arrays only; it is React's, which takes a function too.
        ;(setSelectedRecords as React.Dispatch<React.SetStateAction<RecordJSON[]>>)((selected) => selected.filter((record) => String(record.id) !== change.recordId))
        return
      }
      clearTimeout(refreshTimer.current)
      refreshTimer.current = setTimeout(() => void refresh(), REFRESH_DELAY_MS)
    }
    socket.on('change:feed', onChange)
    return () => {
      socket.off('change:feed', onChange)
      clearTimeout(refreshTimer.current)
    }
  }, [socket, resource.id, refresh, patch, setSelectedRecords])

  // A quiet fetch no longer lists a deleted row: it goes back where it was, still marked.
  const shown = useMemo(() => {
    const gone = [...deleted.current.entries()].filter(([id]) => !records.some((record) => String(record.id) === id))
    if (gone.length === 0) return records
    const merged = [...records]
    for (const [, record] of gone) merged.push(record)
    return merged
  }, [records])

  const context = useMemo(() => ({ rows, changes }), [rows, changes])
  return (
    <ListLiveContext.Provider value={context}>
      <Box variant="container" data-css={`${resource.id}-list-table-wrapper`} data-testid="collaborator-list">
        <RecordsTable
          resource={resource}
          records={shown}
          actionPerformed={() => void refresh()}
          onSelect={handleSelect}
          onSelectAll={handleSelectAll}
          selectedRecords={selectedRecords}
          direction={live.direction}
          sortBy={live.sortBy}
          isLoading={live.loading}
        />
        <Text mt="xl" textAlign="center">
          <Pagination page={live.page} perPage={live.perPage} total={live.total} onChange={(page: number) => storeParams({ page: page.toString() })} />
        </Text>
      </Box>
    </ListLiveContext.Provider>
  )
}

const CollaboratorList: React.FC<ActionProps> = (props) => {
  const config = configOf(props)
  if (!config) return null
  return (
    <TextsProvider texts={config.texts} resourceId={props.resource.id}>
      <CollaborationProvider socketPath={config.socketPath}>
        <LiveList {...props} />
      </CollaborationProvider>
    </TextsProvider>
  )
}

export default CollaboratorList

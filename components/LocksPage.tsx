/**
 * The locks page (`collaboration.locksPage()`): every record being edited, live, across every
 * process (`locks:watch`, then `locks:snapshot` whenever the server's read changes), with the
 * admin's own locks apart ("My locks"), "Release" where the server allows it, and the audit log,
 * filterable by record and by user. The server decides what this admin sees and may release; the
 * page only shows what it is sent. Registered by the feature as 'CollaboratorLocksPage'.
 */
import React, { useCallback, useEffect, useState } from 'react'
import { ApiClient } from 'adminjs'
import { Box, Button, H3, Icon, MessageBox, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system'
import type { LocksPageConfig } from '../src/component-config'
import type { Ack, AuditEntryView, AuditListRequest, LockRow, LocksSnapshot, UserView } from '../src/protocol'
import type { TextKey } from '../src/texts'
import CollaborationProvider from './CollaborationProvider'
import { useCollaborationSocket } from './hooks/collaboration-context'
import { adminRootPath } from './hooks/socket-client'
import { useSocketEvent } from './hooks/useRecordEvent'
import { durationText } from './hooks/duration'
import { TextsProvider, useText, type PageTexts } from './hooks/useTexts'

/** What a cell shows that has nothing to show (a record only viewed has no editor). */
const NONE = '—'

/** Audit entries per page. */
const AUDIT_PAGE = 50

const AUDIT_TEXTS: Record<string, TextKey> = {
  granted: 'auditGrantedText',
  released: 'auditReleasedText',
  expired: 'auditExpiredText',
  'idle-released': 'auditIdleReleasedText',
  'handed-over': 'auditHandedOverText',
  'taken-over': 'auditTakenOverText',
  'force-released': 'auditForceReleasedText',
  'save-refused-held': 'auditSaveRefusedHeldText',
  'save-refused-stale': 'auditSaveRefusedStaleText',
  'queue-joined': 'auditQueueJoinedText',
  'queue-left': 'auditQueueLeftText',
}

/** Where the page is: AdminJS routes pages at `<rootPath>/pages/<name>`. */
function pageName(): string {
  const match = /\/pages\/([^/?#]+)/.exec(window.location.pathname)
  return match ? decodeURIComponent(match[1]!) : 'locks'
}

function recordHref(row: { resourceId: string; recordId: string }): string {
  return `${adminRootPath().replace(/\/+$/, '')}/resources/${encodeURIComponent(row.resourceId)}/records/${encodeURIComponent(row.recordId)}/show`
}

function duration(ms: number, { text }: PageTexts): string {
  return durationText(ms, text)
}

/** Asks the server, resolving to its answer (or a local failure when it cannot be asked). */
function ask<T>(send: (ack: (reply: Ack<T>) => void) => void): Promise<Ack<T>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, error: { code: 'internal', message: 'timeout' } }), 10_000)
    send((reply) => {
      clearTimeout(timer)
      resolve(reply)
    })
  })
}

/** The locks as the server last sent them, and when they arrived (for "idle for"). */
function useLocks(): { snapshot: LocksSnapshot | null; receivedAtMs: number; error: string | null } {
  const socket = useCollaborationSocket()
  const [state, setState] = useState<{ snapshot: LocksSnapshot | null; receivedAtMs: number; error: string | null }>({ snapshot: null, receivedAtMs: 0, error: null })
  const watch = useCallback(() => {
    void ask<LocksSnapshot>((ack) => socket.emit('locks:watch', { scope: 'all' }, ack)).then((reply) =>
      setState(reply.ok ? { snapshot: reply.data, receivedAtMs: Date.now(), error: null } : (current) => ({ ...current, error: reply.error.code })),
    )
  }, [socket])
  useSocketEvent('connect', watch)
  useSocketEvent('locks:snapshot', (snapshot) => setState({ snapshot, receivedAtMs: Date.now(), error: null }))
  useEffect(() => {
    if (socket.connected) watch()
    return () => {
      if (socket.connected) socket.emit('locks:unwatch', {}, () => undefined)
    }
  }, [socket, watch])
  return state
}

/** Re-renders every second, so that "idle for" counts on between snapshots. */
function useTick(): number {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [])
  return now
}

interface LockTableProps {
  rows: LockRow[]
  snapshot: LocksSnapshot
  receivedAtMs: number
  testId: string
  onFilterRecord?: (row: LockRow) => void
}

const LockTable: React.FC<LockTableProps> = ({ rows, snapshot, receivedAtMs, testId, onFilterRecord }) => {
  const texts = useText()
  const { text, time, errorText } = texts
  const socket = useCollaborationSocket()
  const now = useTick()
  const [releasing, setReleasing] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const serverNow = snapshot.atMs + (now - receivedAtMs)

  const release = async (row: LockRow) => {
    const { fence } = row
    if (fence === null) return
    const id = `${row.resourceId}/${row.recordId}`
    setReleasing(id)
    const reply = await ask<{ released: boolean }>((ack) => socket.emit('locks:release', { resourceId: row.resourceId, recordId: row.recordId, fence }, ack))
    setReleasing(null)
    setError(reply.ok ? null : errorText({ code: reply.error.code, message: reply.error.message }))
  }

  return (
    <Box data-testid={testId} mb="xl">
      {error ? (
        <Box mb="default" role="alert">
          <MessageBox size="sm" variant="danger" message={error} onCloseClick={() => setError(null)} />
        </Box>
      ) : null}
      <Table>
        <TableHead>
          <TableRow>
            <TableCell>{text('locksRecordColumn')}</TableCell>
            <TableCell>{text('locksEditorColumn')}</TableCell>
            <TableCell>{text('locksSinceColumn')}</TableCell>
            <TableCell>{text('locksIdleColumn')}</TableCell>
            <TableCell>{text('locksViewersColumn')}</TableCell>
            <TableCell>{text('locksQueueColumn')}</TableCell>
            <TableCell />
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((row) => {
            const id = `${row.resourceId}/${row.recordId}`
            return (
              <TableRow key={id} data-testid="collaborator-lock-row" data-resource-id={row.resourceId} data-record-id={row.recordId} data-holder-id={row.holder?.id ?? ''}>
                <TableCell>
                  <a href={recordHref(row)}>{row.title ?? row.recordId}</a>
                  <Text as="span" variant="sm" color="grey60">
                    {' '}
                    · {row.resourceName}
                  </Text>
                  {onFilterRecord ? (
                    <Button
                      type="button"
                      variant="text"
                      size="icon"
                      rounded
                      ml="sm"
                      title={text('auditTitle')}
                      data-testid="collaborator-lock-history"
                      onClick={() => onFilterRecord(row)}
                    >
                      <Icon icon="Clock" />
                    </Button>
                  ) : null}
                </TableCell>
                {/* A record only viewed has no editor, and none of an editor's times. */}
                <TableCell>{row.holder?.name ?? NONE}</TableCell>
                <TableCell>{row.sinceMs === null ? NONE : time(row.sinceMs)}</TableCell>
                <TableCell data-testid="collaborator-lock-idle" data-unsaved={row.unsaved ? 'true' : 'false'}>
                  {row.lastActiveMs === null ? NONE : duration(serverNow - row.lastActiveMs, texts)}
                  {row.unsaved ? ` · ${texts.text('presenceUnsavedText')}` : ''}
                </TableCell>
                <TableCell data-testid="collaborator-lock-viewers">{row.viewers.map((viewer) => viewer.name).join(', ')}</TableCell>
                <TableCell data-testid="collaborator-lock-queue">{row.queueLength}</TableCell>
                <TableCell>
                  {row.canRelease ? (
                    <Button
                      type="button"
                      size="sm"
                      variant="outlined"
                      color="danger"
                      data-testid="collaborator-lock-release"
                      disabled={releasing === id}
                      onClick={() => void release(row)}
                    >
                      {text('locksReleaseButtonText')}
                    </Button>
                  ) : null}
                </TableCell>
              </TableRow>
            )
          })}
        </TableBody>
      </Table>
    </Box>
  )
}

type AuditFilter = { kind: 'record'; resourceId: string; recordId: string; label: string } | { kind: 'user'; user: UserView } | null

const AuditLog: React.FC<{ filter: AuditFilter; setFilter: (filter: AuditFilter) => void; version: number }> = ({ filter, setFilter, version }) => {
  const { text, dateTime } = useText()
  const socket = useCollaborationSocket()
  const [entries, setEntries] = useState<AuditEntryView[]>([])
  const [more, setMore] = useState(false)

  const load = useCallback(
    async (before?: string) => {
      const request: AuditListRequest = {
        limit: AUDIT_PAGE,
        ...(filter?.kind === 'record' ? { resourceId: filter.resourceId, recordId: filter.recordId } : {}),
        ...(filter?.kind === 'user' ? { userId: filter.user.id } : {}),
        ...(before ? { before } : {}),
      }
      const reply = await ask<AuditEntryView[]>((ack) => socket.emit('audit:list', request, ack))
      if (!reply.ok) return
      setEntries((current) => (before ? [...current, ...reply.data] : reply.data))
      setMore(reply.data.length === AUDIT_PAGE)
    },
    [socket, filter],
  )
  // Again whenever the locks changed (`version`): new events come with new lock states.
  useEffect(() => {
    void load()
  }, [load, version])

  const filterText = filter ? text('auditFilterText', { filter: filter.kind === 'record' ? filter.label : filter.user.name }) : null
  return (
    <Box data-testid="collaborator-audit">
      <H3>{text('auditTitle')}</H3>
      {filterText ? (
        <Box flex alignItems="center" mb="default" data-testid="collaborator-audit-filter">
          <Text mr="default">{filterText}</Text>
          <Button type="button" size="sm" variant="text" data-testid="collaborator-audit-clear" onClick={() => setFilter(null)}>
            {text('auditClearFilterText')}
          </Button>
        </Box>
      ) : null}
      {entries.length === 0 ? <Text>{text('auditEmptyText')}</Text> : null}
      <Box as="ul" style={{ listStyle: 'none', padding: 0 }}>
        {entries.map((entry) => (
          <Box as="li" key={entry.id} py="sm" data-testid="collaborator-audit-entry" data-kind={entry.kind} data-user-id={entry.user.id}>
            <Text as="span" variant="sm" color="grey60" mr="default">
              {dateTime(entry.atMs)}
            </Text>
            <Button type="button" variant="text" size="sm" data-testid="collaborator-audit-user" onClick={() => setFilter({ kind: 'user', user: entry.user })}>
              {entry.user.name}
            </Button>{' '}
            <Text as="span">{AUDIT_TEXTS[entry.kind] ? text(AUDIT_TEXTS[entry.kind]!, { by: entry.by?.name ?? '' }) : entry.kind}</Text>
            {' · '}
            <Button
              type="button"
              variant="text"
              size="sm"
              data-testid="collaborator-audit-record"
              onClick={() => setFilter({ kind: 'record', resourceId: entry.resourceId, recordId: entry.recordId, label: `${entry.resourceId} ${entry.recordId}` })}
            >
              {entry.resourceId} {entry.recordId}
            </Button>
            {entry.reason ? (
              <Text as="span" variant="sm" color="grey60">
                {' '}
                ({entry.reason})
              </Text>
            ) : null}
          </Box>
        ))}
      </Box>
      {more ? (
        <Button type="button" size="sm" variant="outlined" onClick={() => void load(entries[entries.length - 1]?.id)}>
          {text('auditMoreText')}
        </Button>
      ) : null}
    </Box>
  )
}

const LocksView: React.FC = () => {
  const { text, errorText } = useText()
  const { snapshot, receivedAtMs, error } = useLocks()
  const [filter, setFilter] = useState<AuditFilter>(null)
  const [version, setVersion] = useState(0)
  useEffect(() => setVersion((count) => count + 1), [snapshot])
  if (!snapshot) return error ? <MessageBox variant="danger" message={errorText({ code: error as never, message: error })} /> : null
  const mine = snapshot.rows.filter((row) => row.holder?.id === snapshot.me.id)
  const others = snapshot.rows.filter((row) => row.holder?.id !== snapshot.me.id)
  return (
    <Box variant="container" data-testid="collaborator-locks-page" data-can-view-all={snapshot.canViewAll}>
      <H3>{text('locksMineTitle')}</H3>
      {mine.length === 0 ? (
        <Text mb="xl">{text('locksMineEmptyText')}</Text>
      ) : (
        <LockTable rows={mine} snapshot={snapshot} receivedAtMs={receivedAtMs} testId="collaborator-my-locks" />
      )}
      {snapshot.canViewAll ? (
        <>
          <H3>{text('locksAllTitle')}</H3>
          {others.length === 0 ? (
            <Text mb="xl">{text('locksEmptyText')}</Text>
          ) : (
            <LockTable
              rows={others}
              snapshot={snapshot}
              receivedAtMs={receivedAtMs}
              testId="collaborator-all-locks"
              onFilterRecord={(row) => setFilter({ kind: 'record', resourceId: row.resourceId, recordId: row.recordId, label: row.title ?? row.recordId })}
            />
          )}
          <AuditLog filter={filter} setFilter={setFilter} version={version} />
        </>
      ) : null}
    </Box>
  )
}

const LocksPage: React.FC = () => {
  const [config, setConfig] = useState<LocksPageConfig | null>(null)
  const [failed, setFailed] = useState(false)
  useEffect(() => {
    new ApiClient()
      .getPage({ pageName: pageName() })
      .then((response) => setConfig(response.data as LocksPageConfig))
      .catch(() => setFailed(true))
  }, [])
  if (failed) return <MessageBox variant="danger" message="adminjs-collaborator: the locks page could not load its settings." />
  if (!config) return null
  return (
    <TextsProvider texts={config.texts} resourceId={config.textsResourceId}>
      <CollaborationProvider socketPath={config.socketPath}>
        <LocksView />
      </CollaborationProvider>
    </TextsProvider>
  )
}

export default LocksPage

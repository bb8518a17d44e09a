/**
 * The change feed in the admin's top bar, on every page (#14): a bell with the count of unread
 * changes, and a panel of the latest ones: each names the record (a link to it, unless deleted),
 * its resource, who did what ("Bob Chen changed Title and Status") and when, with "Mark all read".
 * Field names are shown as AdminJS labels them.
 */
import React, { useEffect, useRef, useState } from 'react'
import { Box, Button, Icon, Text } from '@adminjs/design-system'
import { useTranslation } from 'adminjs'
import type { ChangeEvent } from '../src/protocol'
import { adminRootPath } from './hooks/socket-client'
import { useChangeFeed } from './hooks/useChangeFeed'
import { useText, type TextOf } from './hooks/useTexts'

function recordHref({ resourceId, recordId }: ChangeEvent): string {
  return `${adminRootPath().replace(/\/+$/, '')}/resources/${encodeURIComponent(resourceId)}/records/${encodeURIComponent(recordId)}/show`
}

/** "Title", "Title and Status", "Title, Body and Status", as AdminJS labels the fields. */
function fieldList(change: ChangeEvent, label: (field: string) => string, text: TextOf): string {
  // Flattened params (`tags.0`, `address.city`) are one field to the reader.
  const names = [...new Set(change.fields.map((field) => label(field.split('.')[0]!)))]
  if (names.length <= 1) return names[0] ?? ''
  return text('feedAndText', { first: names.slice(0, -1).join(', '), last: names[names.length - 1]! })
}

function whatHappened(change: ChangeEvent, label: (field: string) => string, text: TextOf): string {
  const name = change.by.name
  if (change.kind === 'created') return text('feedCreatedText', { name })
  if (change.kind === 'deleted') return text('feedDeletedText', { name })
  return change.fields.length > 0 ? text('feedUpdatedText', { name, fields: fieldList(change, label, text) }) : text('feedSavedText', { name })
}

const FeedEntry: React.FC<{ change: ChangeEvent; unread: boolean }> = ({ change, unread }) => {
  const { text, time, dateTime } = useText()
  const { translateProperty } = useTranslation()
  const label = (field: string) => translateProperty(field, change.resourceId)
  const today = new Date(change.atMs).toDateString() === new Date().toDateString()
  return (
    <Box
      as="li"
      py="default"
      px="lg"
      data-testid="collaborator-feed-entry"
      data-kind={change.kind}
      data-record-id={change.recordId}
      data-resource-id={change.resourceId}
      data-unread={unread ? 'true' : 'false'}
      style={{ listStyle: 'none', borderBottom: '1px solid #eeeeef', background: unread ? '#f4f6ff' : undefined }}
    >
      <Text fontWeight={unread ? 'bold' : 'normal'}>
        {change.kind === 'deleted' ? <s>{change.title}</s> : <a href={recordHref(change)}>{change.title}</a>}
        <Text as="span" variant="sm" color="grey80">
          {' '}
          · {change.resourceName}
        </Text>
      </Text>
      <Text variant="sm" color="grey80" data-testid="collaborator-feed-what">
        {whatHappened(change, label, text)} · {today ? time(change.atMs) : dateTime(change.atMs)}
      </Text>
    </Box>
  )
}

const ChangeFeed: React.FC = () => {
  const { text } = useText()
  const feed = useChangeFeed()
  const [open, setOpen] = useState(false)
  const boxRef = useRef<HTMLDivElement>(null)
  const unreadIds = new Set(feed.unread.map((change) => change.id))

  // A click anywhere else, or Escape, closes the panel.
  useEffect(() => {
    if (!open) return undefined
    const onPointer = (event: PointerEvent) => {
      if (boxRef.current && !boxRef.current.contains(event.target as Node)) setOpen(false)
    }
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setOpen(false)
    }
    document.addEventListener('pointerdown', onPointer)
    document.addEventListener('keydown', onKey)
    return () => {
      document.removeEventListener('pointerdown', onPointer)
      document.removeEventListener('keydown', onKey)
    }
  }, [open])

  if (!feed.me) return null
  const count = feed.unread.length
  const label = count > 0 ? `${text('feedButtonLabel')} (${text('feedUnreadText', { count: String(count) })})` : text('feedButtonLabel')
  return (
    <Box ref={boxRef} position="relative" mr="lg" data-testid="collaborator-feed" data-unread={count}>
      <Button
        type="button"
        variant="text"
        size="icon"
        rounded
        aria-label={label}
        title={label}
        aria-expanded={open}
        data-testid="collaborator-feed-button"
        onClick={() => setOpen(!open)}
      >
        <Icon icon="Bell" />
      </Button>
      {count > 0 ? (
        <Box
          data-testid="collaborator-feed-count"
          aria-hidden="true"
          position="absolute"
          style={{
            top: -2,
            right: -4,
            minWidth: 18,
            height: 18,
            borderRadius: 9,
            background: '#c20012',
            color: '#fff',
            fontSize: 11,
            lineHeight: '18px',
            textAlign: 'center',
            padding: '0 4px',
            pointerEvents: 'none',
          }}
        >
          {count > 99 ? '99+' : count}
        </Box>
      ) : null}
      {open ? (
        <Box
          data-testid="collaborator-feed-panel"
          role="dialog"
          aria-label={text('feedTitle')}
          position="absolute"
          bg="container"
          style={{ right: 0, top: 44, width: 380, maxHeight: 460, overflowY: 'auto', zIndex: 1000, boxShadow: '0 4px 16px rgba(0,0,0,0.18)', borderRadius: 4 }}
        >
          <Box flex flexDirection="row" alignItems="center" justifyContent="space-between" px="lg" py="default" style={{ borderBottom: '1px solid #eeeeef' }}>
            <Text fontWeight="bold">{text('feedTitle')}</Text>
            <Button type="button" variant="text" size="sm" disabled={count === 0} data-testid="collaborator-feed-read-all" onClick={feed.markAllRead}>
              {text('feedMarkAllReadText')}
            </Button>
          </Box>
          {feed.changes.length === 0 ? (
            <Text px="lg" py="lg" data-testid="collaborator-feed-empty">
              {text('feedEmptyText')}
            </Text>
          ) : (
            <Box as="ul" m={0} p={0}>
              {feed.changes.map((change) => (
                <FeedEntry key={change.id} change={change} unread={unreadIds.has(change.id)} />
              ))}
            </Box>
          )}
        </Box>
      ) : null}
    </Box>
  )
}

export default ChangeFeed

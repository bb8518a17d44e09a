/**
 * Every key and room name in one place. Resource and record ids are user data (UUIDs, slugs, ids
 * with colons): they are percent-encoded so that no id can produce another record's key.
 */
export function recordKey(resourceId: string, recordId: string): string {
  return `${encodeURIComponent(resourceId)}:${encodeURIComponent(recordId)}`
}

/**
 * The record a key names (the inverse of `recordKey`), or null when the text is no record key: not
 * exactly two encoded parts, or a part that does not decode to the text it was encoded from.
 */
export function parseRecordKey(key: string): { resourceId: string; recordId: string } | null {
  const parts = key.split(':')
  if (parts.length !== 2) return null
  try {
    const [resourceId, recordId] = parts.map(decodeURIComponent) as [string, string]
    if (resourceId === '' || recordId === '' || recordKey(resourceId, recordId) !== key) return null
    return { resourceId, recordId }
  } catch {
    return null
  }
}

/** The Socket.IO room of everyone on one record. */
export function recordRoom(resourceId: string, recordId: string): string {
  return `record:${recordKey(resourceId, recordId)}`
}

/**
 * The Socket.IO room of the list pages that show a record (`list:watch`): they hear its lock and
 * presence as the record's own room does, without being on the record.
 */
export function recordWatchRoom(resourceId: string, recordId: string): string {
  return `watch:${recordKey(resourceId, recordId)}`
}

/** Who hears of a record's lock and presence: everyone on it, and the list pages showing it. */
export function recordAudience(resourceId: string, recordId: string): string[] {
  return [recordRoom(resourceId, recordId), recordWatchRoom(resourceId, recordId)]
}

/**
 * The Socket.IO room of one browser tab (its public tab id, of its user), for messages meant for it
 * alone. The user is part of the name: another user joining with a copied token gets the same tab
 * id, and must not hear what is meant for the token's owner.
 */
export function tabRoom(userId: string, tabId: string): string {
  return `tab:${encodeURIComponent(userId)}:${tabId}`
}

/**
 * The Socket.IO room of one user's sockets on one record: a one-to-one chat message goes to the
 * rooms of its two people on that record, and nowhere else.
 */
export function recordUserRoom(resourceId: string, recordId: string, userId: string): string {
  return `user:${recordKey(resourceId, recordId)}:${encodeURIComponent(userId)}`
}

/**
 * A chat conversation on a record: with everyone (no `between`), or of two users. The pair is
 * sorted, so both people name the same conversation, and encoded, so no pair can name another.
 */
export function conversationKey(recordKey: string, between?: [string, string]): string {
  if (!between) return `${recordKey}:all`
  return `${recordKey}:dm:${between.map(encodeURIComponent).sort().join(':')}`
}

/**
 * The Socket.IO room of the admins who may see a resource's records (list or show): the change
 * feed of that resource goes there (src/server/change-feed.ts).
 */
export function feedRoom(resourceId: string): string {
  return `feed:${encodeURIComponent(resourceId)}`
}

/**
 * Redis key names below the configured prefix.
 *
 * Every key of one record carries the record's hash tag, `{<record key>}` (record keys are
 * percent-encoded: they hold no brace), so a Redis Cluster keeps them in one slot and each script,
 * which only ever touches one record, runs on one node. No script of a record takes a global key:
 * the indexes (`lock-index`, `presence-index`) are written by commands of their own after the
 * record's script, and the restart-quiet period reaches the scripts as an argument.
 */
export function redisKeys(prefix: string) {
  /** `<name>:{<record key>}`: the record's hash tag, one slot for all of its keys. */
  const tagged = (name: string, key: string) => `${prefix}${name}:{${key}}`
  return {
    lock: (key: string) => tagged('lock', key),
    /** Hash of tokens whose lease of the record someone else ended (include/lease.lua markEnded). */
    lockEnded: (key: string) => tagged('lock-ended', key),
    /**
     * Global: one sorted set of every held record (record key -> when its lease ends, Redis clock
     * ms), written by lockIndex-1 after each lock script that changed a lease, so listing the locks
     * needs no SCAN of the keyspace. A hint: the locks page reads each listed lease anyway.
     */
    lockIndex: () => `${prefix}lock-index`,
    /**
     * The record's fence counter: each grant of the record takes the next one. A missing counter
     * (first grant, expired after FENCE_KEEP_MS without grants, or Redis restarted empty) starts at
     * the clock, so a later grant of the record always has a larger fence.
     */
    fence: (key: string) => tagged('fence', key),
    /**
     * Global: exists (for one lease TTL) after a Redis server came back without its data. Read by
     * each store when it connects, to start its own quiet period (no new grants of free records,
     * so holders from before the restart re-assert theirs first); never read by a record's script.
     */
    restartQuiet: () => `${prefix}restart-quiet`,
    /** Socket.IO's Redis streams adapter: its stream, pub/sub channel prefix and session keys. */
    socketIoStream: () => `${prefix}socket.io`,
    socketIoChannel: () => `${prefix}socket.io`,
    socketIoSession: () => `${prefix}socket.io-session:`,
    /** The record's revision counter (include/revision.lua), raised by lock and presence changes. */
    revision: (key: string) => tagged('revision', key),
    /** Sorted set of the record's presence entry ids, scored by when each expires (Redis clock, ms). */
    presence: (key: string) => tagged('presence', key),
    /**
     * Global: sorted set of records with presence (record key -> until when, Redis clock ms), written by
     * each process for its own records apart from the presence scripts; the locks page lists from it.
     */
    presenceIndex: () => `${prefix}presence-index`,
    /** Hash of the record's presence entries as JSON, by entry id; kept in step with `presence`. */
    presenceData: (key: string) => tagged('presence-data', key),
    /**
     * A record's line (`QueueStore`, include/queue.lua), four keys. In the order the scripts take
     * them: order, expiry, data, turn.
     */
    queue: (key: string) => [tagged('queue', key), tagged('queue-expiry', key), tagged('queue-data', key), tagged('queue-turn', key)] as const,
    /** A throttle's key (the attention handler's: record key and user): its own tag, one key a script. */
    throttle: (key: string) => tagged('throttle', key),
    /**
     * The tab id comes from a browser: encoded, so `('a:b', 'c')` and `('a', 'b:c')` stay apart
     * (the part after the last colon is always the whole tab id).
     */
    candidate: (key: string, tabId: string) => `${tagged('candidate', key)}:${encodeURIComponent(tabId)}`,
    save: (key: string) => tagged('save', key),
    /** A record's write section: exists while one writer checks and writes it (value: its fence). */
    writeSection: (key: string) => tagged('write', key),
    /** The record's counter of write-section fences, apart from the lease fences (started as `fence`). */
    writeFence: (key: string) => tagged('write-fence', key),
    /** List of a conversation's messages as JSON, oldest first (key from `conversationKey`). */
    chat: (key: string) => tagged('chat', key),
    /** Global: the audit log, one stream of every record's events (auditAppend-1). */
    audit: () => `${prefix}audit`,
    /** Global: the change log, one stream of the writes made through the admin (changeAppend-1). */
    changes: () => `${prefix}changes`,
    /** A connection token that was used (TokenLedger), until it would have expired: one key a token. */
    spentToken: (tokenId: string) => `${prefix}token:${tokenId}`,
    /** A fixed-window counter of a rate limit (its own tag: a sender's allowance is no record's). */
    limit: (key: string) => tagged('limit', key),
  }
}

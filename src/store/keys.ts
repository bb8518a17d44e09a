/**
 * Every key and room name in one place. Resource and record ids are user data (UUIDs, slugs, ids
 * with colons): they are percent-encoded so that no id can produce another record's key.
 */
export function recordKey(resourceId: string, recordId: string): string {
  return `${encodeURIComponent(resourceId)}:${encodeURIComponent(recordId)}`
}

/** The Socket.IO room of everyone on one record. */
export function recordRoom(resourceId: string, recordId: string): string {
  return `record:${recordKey(resourceId, recordId)}`
}

/** The Socket.IO room of one browser tab (by its public tab id), for messages meant for it alone. */
export function tabRoom(tabId: string): string {
  return `tab:${tabId}`
}

/** Redis key names below the configured prefix. */
export function redisKeys(prefix: string) {
  return {
    lock: (key: string) => `${prefix}lock:${key}`,
    /** One counter for all fences, so fences grow across every record and never restart per record. */
    fence: () => `${prefix}fence`,
    /** Sorted set of the record's presence entry ids, scored by when each expires (Redis clock, ms). */
    presence: (key: string) => `${prefix}presence:${key}`,
    /** Hash of the record's presence entries as JSON, by entry id; kept in step with `presence`. */
    presenceData: (key: string) => `${prefix}presence-data:${key}`,
    throttle: (key: string) => `${prefix}throttle:${key}`,
    /**
     * The tab id comes from a browser: encoded, so `('a:b', 'c')` and `('a', 'b:c')` stay apart
     * (the part after the last colon is always the whole tab id).
     */
    candidate: (key: string, tabId: string) => `${prefix}candidate:${key}:${encodeURIComponent(tabId)}`,
    save: (key: string) => `${prefix}save:${key}`,
  }
}

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

/** Redis key names below the configured prefix. */
export function redisKeys(prefix: string) {
  return {
    lock: (key: string) => `${prefix}lock:${key}`,
    /** One counter for all fences, so fences grow across every record and never restart per record. */
    fence: () => `${prefix}fence`,
  }
}

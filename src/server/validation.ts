/**
 * Schemas of every client-to-server payload. Strict objects: an unknown field is an error, so a
 * client built for another protocol version fails loudly instead of being half understood.
 */
import { z } from 'zod'

/** Ids are strings of any shape (UUIDs, slugs, composite keys), but bounded. */
const id = z.string().min(1).max(512)

export const recordRefSchema = z.object({ resourceId: id, recordId: id }).strict()

export const activityReportSchema = z.object({ resourceId: id, recordId: id, unsaved: z.boolean().optional() }).strict()

export const joinRequestSchema = z
  .object({
    resourceId: id,
    recordId: id,
    tabToken: z
      .string()
      .min(16)
      .max(128)
      .regex(/^[\w-]+$/, 'must be letters, digits, - or _'),
    intent: z.enum(['edit', 'show']),
  })
  .strict()

export const queueRequestSchema = z.object({ resourceId: id, recordId: id, action: z.enum(['join', 'leave', 'list']) }).strict()

export const handOverRequestSchema = z.object({ resourceId: id, recordId: id, toTabId: z.string().min(1).max(64) }).strict()

/** A user id as the server derived it from some admin's session (see `identify`). */
const userId = z.string().min(1).max(512)

/**
 * The text's limits (empty, `chatMaxLength`) are the handler's to check, so that each refusal
 * gets its own code; `maxEventBytes` already bounds what reaches this schema.
 */
export const chatSendSchema = z.object({ resourceId: id, recordId: id, to: userId.nullable(), text: z.string() }).strict()

export const chatHistorySchema = z.object({ resourceId: id, recordId: id, with: userId.nullable() }).strict()

export const locksWatchSchema = z.object({ scope: z.enum(['all', 'mine']) }).strict()

export const locksUnwatchSchema = z.object({}).strict()

export const lockReleaseSchema = z.object({ resourceId: id, recordId: id, fence: z.number().int().nonnegative() }).strict()

/** At most this many audit entries per request. */
export const AUDIT_PAGE_MAX = 200

export const auditListSchema = z
  .object({
    resourceId: id.optional(),
    recordId: id.optional(),
    userId: userId.optional(),
    limit: z.number().int().min(1).max(AUDIT_PAGE_MAX),
    before: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((request) => (request.resourceId === undefined) === (request.recordId === undefined), 'resourceId and recordId go together')

/** The most changes one `feed:recent` answers. */
export const FEED_PAGE_MAX = 100

export const feedRecentSchema = z
  .object({
    limit: z.number().int().min(1).max(FEED_PAGE_MAX),
    before: z.string().min(1).max(64).optional(),
  })
  .strict()

/** The most rows one list page may follow (AdminJS lists at most 500 a page). */
export const LIST_WATCH_MAX = 500

export const listWatchSchema = z
  .object({
    resourceId: id,
    recordIds: z.array(id).max(LIST_WATCH_MAX),
  })
  .strict()

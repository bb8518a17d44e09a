/**
 * What a request says about the writes it may lead to, kept per action context for the write guard:
 * the tab token and the version the client built its change from (our two form fields, taken out of
 * the payload here so that no adapter and no later hook sees them), and the versions of the records
 * the action loaded. AdminJS hands the same ActionContext object to the before hooks, to the
 * resource's `findOne`/`findMany` that load the action's records, and to the resource's `create`,
 * `update` and `delete`; the context is the one thing all of them share (it carries no request).
 */
import type { ActionContext, ActionRequest, Before } from 'adminjs'
import { TAB_TOKEN_PARAM, VERSION_PARAM } from './protocol.js'

export interface RequestIntent {
  /** The HTTP method, lower case, as AdminJS gives it ('head' included). */
  method: string
  tabToken?: string
  /** The version the client's change was built from, when it said. */
  version?: string
  /** The client sent fields to write (besides ours): a save built by the client. */
  sentFields: boolean
}

const intents = new WeakMap<object, RequestIntent>()
const loaded = new WeakMap<object, Map<string, string>>()
const written = new WeakMap<object, Map<string, string[]>>()

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined)

function withoutOurs(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields || !(TAB_TOKEN_PARAM in fields || VERSION_PARAM in fields)) return fields
  const { [TAB_TOKEN_PARAM]: _tab, [VERSION_PARAM]: _version, ...rest } = fields
  return rest
}

/**
 * The first `before` hook of every action of a guarded resource: notes the request's intent on the
 * context and returns the request without our fields (payload and query alike).
 */
export const noteRequestIntent: Before = async (request: ActionRequest, context: ActionContext) => {
  const payload = request.payload
  const query = request.query as Record<string, unknown> | undefined
  const rest = withoutOurs(payload) ?? {}
  intents.set(context, {
    method: String(request.method ?? '').toLowerCase(),
    tabToken: text(payload?.[TAB_TOKEN_PARAM]) ?? text(query?.[TAB_TOKEN_PARAM]),
    version: text(payload?.[VERSION_PARAM]) ?? text(query?.[VERSION_PARAM]),
    sentFields: Object.keys(rest).length > 0,
  })
  return { ...request, payload: withoutOurs(payload), query: withoutOurs(query) as ActionRequest['query'] }
}

export function intentOf(context: object | undefined): RequestIntent | undefined {
  return context ? intents.get(context) : undefined
}

/** Remembers the version a record had when the action first loaded it (later reloads do not count). */
export function noteLoaded(context: object | undefined, recordId: string, version: string): void {
  if (!context) return
  let versions = loaded.get(context)
  if (!versions) {
    versions = new Map()
    loaded.set(context, versions)
  }
  if (!versions.has(recordId)) versions.set(recordId, version)
}

export function loadedVersion(context: object | undefined, recordId: string): string | undefined {
  return context ? loaded.get(context)?.get(recordId) : undefined
}

/**
 * Remembers which fields a write of the action changed (the write guard knows, having read the
 * record before writing), so the save announcer's after hook can tell the record's room what
 * changed without reading the record twice or guessing from the submitted form.
 */
export function noteWritten(context: object | undefined, recordId: string, fields: string[]): void {
  if (!context) return
  let byRecord = written.get(context)
  if (!byRecord) {
    byRecord = new Map()
    written.set(context, byRecord)
  }
  byRecord.set(recordId, fields)
}

/** The fields the action's last write of the record changed; undefined when it wrote none. */
export function writtenFields(context: object | undefined, recordId: string): string[] | undefined {
  return context ? written.get(context)?.get(recordId) : undefined
}

/** Our fields out of params given straight to the resource (custom code may pass them so). */
export function takeOurFields(params: Record<string, unknown>): { params: Record<string, unknown>; tabToken?: string; version?: string } {
  return { params: withoutOurs(params) ?? params, tabToken: text(params[TAB_TOKEN_PARAM]), version: text(params[VERSION_PARAM]) }
}

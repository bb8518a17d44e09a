/**
 * AdminJS's HTTP API as a hostile or ordinary client uses it, straight, without a page: record and
 * bulk actions with any method (HEAD included, with a body through node:http since fetch refuses
 * one), and the version a record carries in its params.
 */
import http from 'node:http'
import { VERSION_PARAM } from '../../src/protocol.js'

/**
 * A notice as tests read it. A collaborator refusal arrives as AdminJS's key form (`message` the
 * text key, `options` its parameters and `defaultValue` its English, see src/refusal.ts): here
 * `message` is that English and `key` the key, so tests say what the admin reads.
 */
export type Notice = { type: string; message: string; key?: string; options?: Record<string, string> }
type WireNotice = { type: string; message: string; options?: Record<string, string>; resourceId?: string }

function readable(notice: WireNotice | undefined): Notice | undefined {
  const english = notice?.options?.defaultValue
  return notice && english !== undefined ? { ...notice, key: notice.message, message: english } : notice
}
export type ApiBody = { record?: { params: Record<string, unknown> }; records?: Array<{ id: string; params: Record<string, unknown> }>; notice?: Notice }
export interface ApiReply {
  status: number
  body: ApiBody
}

export function adminApi(baseUrl: string, resourceId = 'Post') {
  const base = `${baseUrl}/admin/api/resources/${resourceId}`

  async function call(cookie: string, method: string, path: string, fields?: Record<string, string>): Promise<ApiReply> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { cookie, ...(fields ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: fields ? new URLSearchParams(fields) : undefined,
    })
    const text = await response.text()
    let body: ApiBody = {}
    try {
      body = text ? (JSON.parse(text) as ApiBody) : {}
      if (body.notice) body = { ...body, notice: readable(body.notice) }
    } catch {
      body = { notice: { type: 'http', message: text.slice(0, 200) } }
    }
    return { status: response.status, body }
  }

  return {
    /** GET a record action (edit, show): the record as the client reads it. */
    read: (cookie: string, recordId: string, action = 'edit') => call(cookie, 'GET', `/records/${encodeURIComponent(recordId)}/${action}`),
    async version(cookie: string, recordId: string): Promise<string> {
      const version = (await call(cookie, 'GET', `/records/${encodeURIComponent(recordId)}/edit`)).body.record?.params[VERSION_PARAM]
      if (typeof version !== 'string') throw new Error(`record ${recordId} came without a version`)
      return version
    },
    /** POST a record action (edit, delete, custom ones) with form fields. */
    record: (cookie: string, recordId: string, action: string, fields: Record<string, string> = {}) =>
      call(cookie, 'POST', `/records/${encodeURIComponent(recordId)}/${action}`, fields),
    /** POST a resource action (new). */
    resource: (cookie: string, action: string, fields: Record<string, string> = {}) => call(cookie, 'POST', `/actions/${action}`, fields),
    /** POST a bulk action on these records. */
    bulk: (cookie: string, action: string, recordIds: string[], fields: Record<string, string> = {}) =>
      call(cookie, 'POST', `/bulk/${action}?recordIds=${recordIds.map(encodeURIComponent).join(',')}`, fields),
    list: (cookie: string) => call(cookie, 'GET', '/actions/list'),
    /** A fetch with any method, no body (fetch refuses a body on HEAD). */
    fetchMethod: (cookie: string, method: string, path: string) => call(cookie, method, path),
    /** node:http with any method AND a form body, as `curl -X HEAD -d ...` sends it. */
    raw(cookie: string, method: string, path: string, fields: Record<string, string> = {}): Promise<number> {
      const body = new URLSearchParams(fields).toString()
      return new Promise((resolve, reject) => {
        const req = http.request(`${base}${path}`, {
          method,
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
        })
        req.on('response', (response) => {
          response.resume()
          response.on('end', () => resolve(response.statusCode ?? 0))
        })
        req.on('error', reject)
        req.end(body)
      })
    },
  }
}

export type AdminApi = ReturnType<typeof adminApi>

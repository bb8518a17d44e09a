/**
 * An editor's browser tab as a process of its own (run with `node --import tsx`), so that a test
 * can freeze it (SIGSTOP: a laptop asleep) and wake it (SIGCONT).
 *
 *   BASE_URL   the admin's server, e.g. http://127.0.0.1:PORT
 *   EMAIL      who logs in (password "password")
 *   RECORD_ID  the Post whose edit page this tab has open
 *
 * It logs in, connects and joins the record with intent `edit` (claiming its lock), loads the edit
 * record as the page does (keeping its version), prints one JSON line
 * `{ "ready": true, tabId, lease, version, title }`, then reads commands on stdin, one a line:
 *
 *   save <title>  POSTs the edit form with that title, this tab's token and the version loaded at
 *                 the start; prints `{ "saved": { status, notice } }`
 *   quit          exits (so does the end of stdin)
 *
 * Socket events are printed too (`{ "socket": "disconnect", reason }`). The socket does not
 * reconnect: what matters here is what the server does with a tab that went silent.
 */
import { createInterface } from 'node:readline'
import { TAB_TOKEN_PARAM, VERSION_PARAM, type JoinReply } from '../../src/protocol.js'
import { login, newTabToken, openSocket, request, unwrap } from './clients.js'

const baseUrl = process.env.BASE_URL
const email = process.env.EMAIL
const recordId = process.env.RECORD_ID
if (!baseUrl || !email || !recordId) {
  console.error('BASE_URL, EMAIL and RECORD_ID are required')
  process.exit(2)
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`)
const editUrl = `${baseUrl}/admin/api/resources/Post/records/${encodeURIComponent(recordId)}/edit`

const cookie = await login(baseUrl, email)
const socket = await openSocket(baseUrl, { cookie })
socket.on('disconnect', (reason) => print({ socket: 'disconnect', reason, atMs: Date.now() }))
const tabToken = newTabToken()
const joined = unwrap(await request<JoinReply>(socket, 'record:join', { resourceId: 'Post', recordId, tabToken, intent: 'edit' }))

const loaded = (await (await fetch(editUrl, { headers: { cookie } })).json()) as { record?: { params: Record<string, unknown> } }
const version = loaded.record?.params[VERSION_PARAM]
if (typeof version !== 'string') {
  console.error('the edit action returned no version')
  process.exit(1)
}
print({ ready: true, tabId: joined.tabId, lease: joined.lease, version, title: loaded.record?.params.title })

const commands = createInterface({ input: process.stdin })
for await (const line of commands) {
  const [command, ...rest] = line.trim().split(' ')
  if (command === 'quit') break
  if (command !== 'save') {
    print({ error: `unknown command ${command}` })
    continue
  }
  const response = await fetch(editUrl, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ title: rest.join(' '), [TAB_TOKEN_PARAM]: tabToken, [VERSION_PARAM]: version }),
  })
  const body = (await response.json().catch(() => ({}))) as { notice?: { type: string; message: string; options?: Record<string, string> } }
  print({ saved: { status: response.status, notice: body.notice ?? null }, atMs: Date.now() })
}
socket.close()
process.exit(0)

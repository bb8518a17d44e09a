/**
 * Browser tabs as tests see them: sockets of logged-in users joined to records. closeAll() leaves
 * every joined record first, so no lease lingers in its reconnect grace into the next test.
 */
import type { JoinReply, RecordRef } from '../../src/protocol.js'
import { newTabToken, openSocket, request, unwrap, type TestSocket } from './clients.js'
import { PresenceWatch } from './presence-watch.js'

export interface JoinedTab {
  socket: TestSocket
  reply: JoinReply
  token: string
  /** The record's presence as this tab's page would show it, from its join reply on. */
  presence: PresenceWatch
}

export class RecordTabs {
  private readonly sockets: TestSocket[] = []
  private readonly joined: Array<{ socket: TestSocket; ref: RecordRef }> = []

  constructor(private readonly baseUrl: () => string) {}

  async open(cookie: string): Promise<TestSocket> {
    const socket = await openSocket(this.baseUrl(), { cookie })
    this.sockets.push(socket)
    return socket
  }

  async join(cookie: string, ref: RecordRef, intent: 'edit' | 'show' = 'edit', token = newTabToken()): Promise<JoinedTab> {
    const socket = await this.open(cookie)
    const presence = new PresenceWatch(socket, ref)
    const reply = presence.joined(unwrap(await request<JoinReply>(socket, 'record:join', { ...ref, tabToken: token, intent })))
    this.joined.push({ socket, ref })
    return { socket, reply, token, presence }
  }

  async closeAll(): Promise<void> {
    for (const { socket, ref } of this.joined.splice(0)) if (socket.connected) await request(socket, 'record:leave', ref)
    for (const socket of this.sockets.splice(0)) socket.close()
  }
}

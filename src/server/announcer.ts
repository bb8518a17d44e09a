/**
 * What the admin's side tells the sockets, wherever they are: a save to the record's room, a change
 * to the feed room of its resource. The attached socket server announces with its own Socket.IO
 * server; an admin whose sockets live on a separate tier (`socketUrl`) has a Socket.IO server that
 * serves nobody and only emits through the cluster adapter, which carries each emit to every
 * process of the tier (the Redis stream they all read).
 */
import { Server, type ServerOptions } from 'socket.io'
import type { ChangeEvent, RecordRef, UserView } from '../protocol.js'
import { feedRoom, recordRoom } from '../store/keys.js'
import type { ChangeEntry } from '../store/store.js'
import type { CollabServer } from './context.js'

export interface Announcer {
  announceSave(ref: RecordRef, by: UserView, version: string, fields: string[]): void
  announceChange(entry: ChangeEntry): void
}

/** A change as pages get it: the log entry's fields, and no others. */
export function toChangeEvent(entry: ChangeEntry): ChangeEvent {
  const { id, atMs, kind, resourceId, recordId, title, resourceName, by, fields } = entry
  return { id, atMs, kind, resourceId, recordId, title, resourceName, by, fields }
}

export function announceSaveTo(io: CollabServer, ref: RecordRef, by: UserView, version: string, fields: string[]): void {
  io.to(recordRoom(ref.resourceId, ref.recordId)).emit('record:saved', { ...ref, by, version, atMs: Date.now(), fields })
}

export function announceChangeTo(io: CollabServer, entry: ChangeEntry): void {
  io.to(feedRoom(entry.resourceId)).emit('change:feed', toChangeEvent(entry))
}

/** The admin's emitter when the sockets are elsewhere: no HTTP server, no connection of its own. */
export function remoteAnnouncer(adapter: NonNullable<ServerOptions['adapter']>): Announcer & { close(): Promise<void> } {
  const io: CollabServer = new Server({ adapter, serveClient: false })
  return {
    announceSave: (ref, by, version, fields) => announceSaveTo(io, ref, by, version, fields),
    announceChange: (entry) => announceChangeTo(io, entry),
    async close() {
      await io.of('/').adapter.close()
    },
  }
}

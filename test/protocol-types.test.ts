/**
 * The server is typed against src/protocol.ts: this file is part of `npm run typecheck`, and each
 * `@ts-expect-error` below fails that check if the line it marks ever compiles (a misspelled event,
 * a wrong reply, a wrong broadcast). The schemas must describe exactly the protocol's payloads,
 * both ways: a field added to one and not the other does not compile either.
 */
import type { z } from 'zod'
import type { ChatHistoryRequest, ChatSendRequest, HandOverRequest, JoinRequest, RecordRef } from '../src/protocol.js'
import type { CollabServer, CollabSocket } from '../src/server/context.js'
import type { EventName, EventRouter, PayloadOf } from '../src/server/event-router.js'
import { type chatHistorySchema, type chatSendSchema, type handOverRequestSchema, type joinRequestSchema, recordRefSchema } from '../src/server/validation.js'

/** True only when A and B are the same type (not merely assignable one way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

// Each schema's output is exactly its protocol payload.
const schemasFit: [
  Same<z.infer<typeof joinRequestSchema>, JoinRequest>,
  Same<z.infer<typeof recordRefSchema>, RecordRef>,
  Same<z.infer<typeof handOverRequestSchema>, HandOverRequest>,
  Same<z.infer<typeof chatSendSchema>, ChatSendRequest>,
  Same<z.infer<typeof chatHistorySchema>, ChatHistoryRequest>,
] = [true, true, true, true, true]

// And every event's payload type is what the router hands its handler.
const payloadsFit: [Same<PayloadOf<'record:join'>, JoinRequest>, Same<PayloadOf<'chat:send'>, ChatSendRequest>] = [true, true]

/** Never called: it only has to compile (or, on the marked lines, not to). */
export function compileOnly(router: EventRouter, io: CollabServer, socket: CollabSocket): void {
  // @ts-expect-error a misspelled event has no handler type
  router.on('lock:claimm', recordRefSchema, async () => ({ resourceId: 'a', recordId: '1', lease: null }))
  // @ts-expect-error record:leave answers null, not a number
  router.on('record:leave', recordRefSchema, async () => 42)
  // @ts-expect-error record:join's handler must get the join payload, not a bare record ref
  router.on('record:join', recordRefSchema, async () => {
    throw new Error('unreachable')
  })
  // @ts-expect-error a misspelled broadcast
  io.to('room').emit('lock:stat', { resourceId: 'a', recordId: '1', lease: null })
  // @ts-expect-error a broadcast with the wrong payload
  socket.emit('server:status', { storeAvailable: 'yes' })
  const name: EventName = 'chat:history'
  void name
}

test('the schemas and the protocol agree (checked by the compiler; this only keeps the file in the run)', () => {
  expect([...schemasFit, ...payloadsFit].every(Boolean)).toBe(true)
})

/**
 * Apps and sockets a test file opens, closed after each test: `apps.push(app)` for an app,
 * `socketOf(app, cookie)` for a logged-in socket on it. Call once at the top of a test file.
 */
import { openSocket, type TestSocket } from './clients.js'
import type { TestApp } from './app.js'

export function closedAfterEach(): { apps: TestApp[]; socketOf: (app: TestApp, cookie: string) => Promise<TestSocket> } {
  const sockets: TestSocket[] = []
  const apps: TestApp[] = []
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close()
    await Promise.all(apps.splice(0).map((app) => app.close()))
  })
  const socketOf = async (app: TestApp, cookie: string): Promise<TestSocket> => {
    const socket = await openSocket(app.url, { cookie })
    sockets.push(socket)
    return socket
  }
  return { apps, socketOf }
}

/**
 * The example's admin users. Kept in code, not in the database, so that they exist before anything
 * else starts and the start banner can list them. Three editors (enough to try a lock with a queue of two
 * viewers) and one reader (to see what someone without edit permission gets).
 */
import { createHash, timingSafeEqual } from 'node:crypto'

export type ExampleRole = 'editor' | 'reader'

/** What the login stores in `req.session.adminUser`; the collaboration shows `title` and `avatarUrl`. */
export interface ExampleUser {
  id: string
  email: string
  title: string
  role: ExampleRole
  avatarUrl: string
}

/** One password for everyone: this is a demo, and the README and the start banner print it. */
export const EXAMPLE_PASSWORD = 'password'

/**
 * An avatar as a data: URI, so it shows without any network access (the demo works offline and the
 * browser does not wait on an image host). Base64 rather than URL-encoding keeps it valid in any
 * context, including an unquoted CSS url().
 */
function initialsAvatar(name: string, background: string): string {
  const initials = name
    .split(/\s+/)
    .map((part) => part[0] ?? '')
    .join('')
    .slice(0, 2)
    .toUpperCase()
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">` +
    `<rect width="64" height="64" rx="32" fill="${background}"/>` +
    `<text x="32" y="33" dy=".35em" text-anchor="middle" font-family="Helvetica, Arial, sans-serif" ` +
    `font-size="26" font-weight="600" fill="#ffffff">${initials}</text></svg>`
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`
}

function user(id: string, title: string, role: ExampleRole, colour: string): ExampleUser {
  return { id, email: `${id}@example.com`, title, role, avatarUrl: initialsAvatar(title, colour) }
}

export const exampleUsers: readonly ExampleUser[] = Object.freeze([
  user('alice', 'Alice Martin', 'editor', '#2563eb'),
  user('bob', 'Bob Chen', 'editor', '#16a34a'),
  user('carol', 'Carol Diaz', 'editor', '#c2410c'),
  user('dave', 'Dave Okafor', 'reader', '#7c3aed'),
])

/** Compares digests in constant time, so the demo does not teach a timing leak. */
function samePassword(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest()
  return timingSafeEqual(digest(given), digest(expected))
}

/** The `authenticate` callback for @adminjs/express: the user (a fresh copy) or null. */
export async function authenticate(email: unknown, password: unknown): Promise<ExampleUser | null> {
  if (typeof email !== 'string' || typeof password !== 'string') return null
  const found = exampleUsers.find((candidate) => candidate.email === email.trim().toLowerCase())
  if (!found || !samePassword(password, EXAMPLE_PASSWORD)) return null
  return { ...found }
}

/** The banner's lines naming who may log in, as every example script prints them. */
export function loginLines(): string[] {
  const width = Math.max(...exampleUsers.map((user) => user.email.length))
  return [`Log in with password "${EXAMPLE_PASSWORD}" as:`, ...exampleUsers.map((user) => `  ${user.email.padEnd(width)}  ${user.title.padEnd(12)}  ${user.role}`)]
}

/**
 * The secret that names this browser tab; the edit lock belongs to it, not to the user.
 *
 * It lives in memory. On `pagehide` it is parked in sessionStorage and read back (and deleted) by
 * the next load, so a reload of the same tab keeps its lock. "Duplicate tab" copies the
 * sessionStorage of a live tab, which holds no token, so the duplicate gets a token of its own.
 */
const STORAGE_KEY = 'adminjs-collaborator:tab-token'
/** What the server accepts (see joinRequestSchema). */
const TOKEN_SHAPE = /^[\w-]{16,128}$/

let token: string | undefined

function newToken(): string {
  // randomUUID needs a secure context; getRandomValues works on plain http too.
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/** Storage can throw (disabled, sandboxed, quota); a fresh token is then the right fallback. */
function takeParkedToken(): string | null {
  try {
    const parked = sessionStorage.getItem(STORAGE_KEY)
    sessionStorage.removeItem(STORAGE_KEY)
    return parked
  } catch {
    return null
  }
}

function parkToken(): void {
  try {
    if (token) sessionStorage.setItem(STORAGE_KEY, token)
  } catch {
    // Without storage a reload gets a new token: the old lease then ends after its grace time.
  }
}

export function tabToken(): string {
  if (token) return token
  const parked = takeParkedToken()
  token = parked && TOKEN_SHAPE.test(parked) ? parked : newToken()
  window.addEventListener('pagehide', parkToken)
  // Back from the back-forward cache the page is alive again: un-park so a duplicate cannot copy it.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) takeParkedToken()
  })
  return token
}

export function useTabToken(): string {
  return tabToken()
}

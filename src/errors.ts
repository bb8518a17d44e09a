/** Every message the package throws at its user (the developer) lives here, worded once. */

export class CollaboratorConfigError extends Error {
  constructor(message: string) {
    super(`adminjs-collaborator: ${message}`)
    this.name = 'CollaboratorConfigError'
  }
}

export const configErrors = {
  invalidOption: (path: string, problem: string) => new CollaboratorConfigError(`option \`${path}\`: ${problem}`),
  unknownOption: (path: string) => new CollaboratorConfigError(`option \`${path}\` is not known (check its spelling in the README's options table)`),
  heartbeatTooSlow: (heartbeatIntervalMs: number, lockTtlMs: number) =>
    new CollaboratorConfigError(
      `option \`heartbeatIntervalMs\` (${heartbeatIntervalMs}) must be less than half of \`lockTtlMs\` (${lockTtlMs}), or a lease can expire between two renewals`,
    ),
  chatLongerThanEvents: (chatMaxLength: number, maxEventBytes: number) =>
    new CollaboratorConfigError(
      `option \`chatMaxLength\` (${chatMaxLength}) needs \`maxEventBytes\` of at least ${chatMaxLength * 4 + 1024} (4 bytes a character plus the event around it), not ${maxEventBytes}`,
    ),
  sessionStoreMissing: () =>
    new CollaboratorConfigError(
      'attach() needs `session.store`: the same express-session store instance you gave @adminjs/express. Without it each middleware keeps its own memory store and no socket can see the login.',
    ),
  cookiePasswordMissing: () => new CollaboratorConfigError('attach() needs `auth.cookiePassword`: the one given to buildAuthenticatedRouter'),
  socketTierNeedsRedis: () =>
    new CollaboratorConfigError(
      'option `socketUrl` (or listen()) needs `redis`: a socket server in processes of its own learns of locks, saves and changes only through a Redis they share',
    ),
  tokenSecretMissing: () =>
    new CollaboratorConfigError('option `socketUrl` (or listen()) needs `tokenSecret`: the admin signs connection tokens with it and the socket servers check them with it'),
  attachedTwice: () => new CollaboratorConfigError('attach() was called twice on the same Collaboration'),
  closed: () => new CollaboratorConfigError('this Collaboration was closed'),
  locksPageWithoutFeature: () => new CollaboratorConfigError('locksPage() needs at least one resource with collaboration.feature(): its component and texts come with the feature'),
  otherAdminJS: () =>
    new CollaboratorConfigError(
      'the AdminJS instance was made by another copy of the adminjs package than the one this package loads. ' +
        "Installed from a local folder? `npm install <folder>` links it with that folder's own node_modules; " +
        'use `npm install --install-links <folder>` or install a packed tarball (see the README\'s "Install").',
    ),
}

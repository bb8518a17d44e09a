/** Socket.IO paths of the two servers under test. */
export const COLLAB_PATH = '/admin/collaborator/socket.io'
export const BARE_PATH = '/bare/socket.io'

/** The page's socket, handed down by CollaborationProvider to every collaborator hook. */
import { createContext, useContext } from 'react'
import type { CollaborationSocket } from './socket-client'

export const CollaborationContext = createContext<CollaborationSocket | null>(null)

export function useCollaborationSocket(): CollaborationSocket {
  const socket = useContext(CollaborationContext)
  if (!socket) throw new Error('adminjs-collaborator: a collaborator hook was used outside <CollaborationProvider>')
  return socket
}

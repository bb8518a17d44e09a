/** Puts the page's one collaboration socket into context and keeps it open while mounted. */
import React, { useEffect, type ReactNode } from 'react'
import { CollaborationContext } from './hooks/collaboration-context'
import { getSocket, releaseSocket, retainSocket, socketPathFor } from './hooks/socket-client'

export interface CollaborationProviderProps {
  /** The configured Socket.IO path; undefined means the default below AdminJS's rootPath. */
  socketPath?: string
  children: ReactNode
}

const CollaborationProvider: React.FC<CollaborationProviderProps> = ({ socketPath, children }) => {
  const path = socketPathFor(socketPath)
  const socket = getSocket(path)

  // Runs after the children's effects, so their listeners are in place before it connects.
  useEffect(() => {
    retainSocket(path)
    return () => releaseSocket(path)
  }, [path])

  return <CollaborationContext.Provider value={socket}>{children}</CollaborationContext.Provider>
}

export default CollaborationProvider

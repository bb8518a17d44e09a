/**
 * The listen backlog for a server that every open tab reconnects to at once when it restarts: the
 * socket tier's (`collaboration.listen`), and the one to give the admin's own HTTP server. Node's
 * default (511) is too short for that moment: the kernel drops the connections past it, and each
 * dropped one tries again only after TCP's 1 s, then 3 s retransmission (the bench's 4,000 tabs at
 * once: 16,105 dropped connection attempts and the last tab 9 s late, against none with this).
 * Linux caps it at net.core.somaxconn (4096 on current kernels).
 */
export const LISTEN_BACKLOG = 4096

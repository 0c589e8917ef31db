/** What {@link coalesceWrites} needs of amqplib's connection: its socket and the multiplexer that writes the channels' frames to it. */
export interface MuxedConnection {
  stream?: { cork(): void; uncork(): void };
  muxer?: { _readIncoming?: () => void };
}

/**
 * Makes the frames an amqplib connection writes in one pass of its multiplexer go to the socket
 * in one system call (a corked socket, uncorked after the pass), instead of one `write` each.
 *
 * amqplib's Mux copies each channel's frames to the socket one `write` per message, and a
 * socket whose previous write finished at once (the usual case on a fast link) sends each of
 * them on its own: a relay publishing a batch of 500 messages made 500 system calls, a third
 * of its CPU per row in a drain. The pass ends with `uncork`, in the same turn of the event
 * loop, so nothing waits longer than before: a lone frame (a publish at idle, an ack) goes out
 * at the same moment as it did. A connection of another shape (another amqplib version) is left
 * as it is; returns whether it was changed.
 */
export function coalesceWrites(connection: MuxedConnection): boolean {
  const socket = connection.stream;
  const muxer = connection.muxer;
  const pass = muxer?._readIncoming;
  if (!socket || typeof socket.cork !== 'function' || typeof socket.uncork !== 'function' || !muxer || typeof pass !== 'function') return false;
  muxer._readIncoming = function corkedPass(this: unknown) {
    socket.cork();
    try {
      pass.call(muxer);
    } finally {
      socket.uncork();
    }
  };
  return true;
}

package io.ringsync.collectives;

import io.ringsync.codecs.ChunkDecoder;

/**
 * The failure of the call in progress, recorded where it is found (a message handler, an algorithm checking a
 * chunk, an abort from a peer) and thrown by the engine once the poll that found it returns: a handler must not
 * throw through a transport's poll, it declines the message instead. The first failure wins; later ones are the
 * consequences of it.
 */
final class Faults
{
    private final int rank;
    private RingsyncException pending;
    private boolean fromPeer;
    private String callName = "connect";
    private long sequence;

    Faults(final int rank)
    {
        this.rank = rank;
    }

    /**
     * Name the call whose failures follow, for messages.
     */
    void call(final String callName, final long sequence)
    {
        this.callName = callName;
        this.sequence = sequence;
    }

    /**
     * Record a malformed or unexpected message from {@code suspect}.
     *
     * @return false, so a handler can {@code return faults.reject(...)} to decline the message.
     */
    boolean reject(final String reason, final int suspect)
    {
        record(new RemoteAbortException("rank " + rank + ": protocol error in " + callName + " #" + sequence + ": " +
            reason, suspect), false);
        return false;
    }

    /**
     * Check that a chunk carries the elements this rank expects for it; allocation-free unless it does not.
     *
     * @param kind  of piece, for the message: "ring", "broadcast", "small-vector".
     * @return true when it does; false (recorded as a protocol error) when not.
     */
    boolean expectRange(final ChunkDecoder chunk, final int start, final int length, final String kind)
    {
        if (chunk.chunkOffset() == start && chunk.chunkCount() == length)
        {
            return true;
        }
        return reject("rank " + chunk.senderRank() + " sent elements [" + chunk.chunkOffset() + ", +" +
            chunk.chunkCount() + ") for " + kind + " step " + chunk.step() + " piece " + chunk.piece() + ", rank " +
            rank + " expected [" + start + ", +" + length + ")", chunk.senderRank());
    }

    /**
     * Record a failure found on this rank (a mismatch, a dead peer) or reported by a peer's abort.
     *
     * @param failure  to throw.
     * @param fromPeer true when a peer reported it: this rank then does not tell the others again.
     */
    void record(final RingsyncException failure, final boolean fromPeer)
    {
        if (null == pending)
        {
            pending = failure;
            this.fromPeer = fromPeer;
        }
    }

    /**
     * @return whether a failure waits to be thrown.
     */
    boolean isPending()
    {
        return null != pending;
    }

    /**
     * @return whether the pending failure came from a peer's abort.
     */
    boolean isFromPeer()
    {
        return fromPeer;
    }

    /**
     * @return the pending failure, now cleared, or null.
     */
    RingsyncException take()
    {
        final RingsyncException failure = pending;
        pending = null;
        return failure;
    }

    /**
     * Forget the pending failure and its origin, at the end of a call.
     */
    void clear()
    {
        pending = null;
        fromPeer = false;
    }
}

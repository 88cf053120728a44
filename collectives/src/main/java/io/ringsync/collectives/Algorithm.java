package io.ringsync.collectives;

import io.ringsync.codecs.ChunkDecoder;
import org.agrona.DirectBuffer;

/**
 * One collective call in progress, driven by the communicator's loop on the caller's thread: the loop
 * calls {@link #doWork()} to send what can be sent and hands every chunk of this call that arrives to
 * {@link #onChunk}. An instance is reused for every call of its kind, so nothing is allocated per call.
 */
abstract class Algorithm
{
    /**
     * Send what can be sent without receiving anything first (the injections that start a pipeline).
     *
     * @return amount of work done, 0 when nothing could be sent.
     */
    abstract int doWork();

    /**
     * A chunk of this call arrived; its call-level fields were already checked against ours.
     *
     * @param decoder       wrapped over the chunk.
     * @param buffer        holding the message, read in place.
     * @param payloadOffset of the first element in {@code buffer}.
     * @return true when consumed; false to get it again later (its forward could not be claimed yet).
     */
    abstract boolean onChunk(ChunkDecoder decoder, DirectBuffer buffer, int payloadOffset);

    /**
     * @return true when this rank's part of the call is complete.
     */
    abstract boolean isDone();

    /**
     * @return the rank this rank is waiting on now (for data), or -1.
     */
    abstract int awaitedPeer();

    /**
     * @return chunks received so far in this call.
     */
    abstract int chunksReceived();

    /**
     * @return a short description of where the call is, for error messages.
     */
    abstract String progress();
}

package io.ringsync.collectives;

import io.ringsync.codecs.ChunkDecoder;
import org.agrona.DirectBuffer;

/**
 * One collective algorithm, driven by the {@link CallEngine}: the engine starts it with a call, calls
 * {@link #doWork()} to send what can be sent, hands it every chunk of that call that arrives, and asks
 * {@link #isDone()}. Waits, deadlines and peers' liveness are the engine's: an algorithm never blocks, it reports
 * the peer it waits on. An instance is reused for every call it runs, so nothing is allocated per call.
 * <p>
 * Implementations: {@link RingAllReduce} (and its halves), {@link SmallAllReduce}, {@link DirectAllReduce},
 * {@link ChainBroadcast}, {@link Barrier}.
 */
interface Algorithm
{
    /**
     * Prepare for a call; its vector is described by the call and worked on in place.
     *
     * @param call the call, with its sequence number set.
     */
    void start(Request call);

    /**
     * Send what can be sent without receiving anything first (the injections that start a pipeline).
     *
     * @return amount of work done, 0 when nothing could be done.
     */
    int doWork();

    /**
     * A chunk of this call arrived; its call-level fields were already checked against ours.
     *
     * @param decoder       wrapped over the chunk.
     * @param buffer        holding the message, read in place.
     * @param payloadOffset of the first element in {@code buffer}.
     * @return true when consumed; false to get it again later (its forward could not be claimed yet).
     */
    boolean onChunk(ChunkDecoder decoder, DirectBuffer buffer, int payloadOffset);

    /**
     * @return true when this rank's part of the call is complete.
     */
    boolean isDone();

    /**
     * @return after a weighted average: the sum of all ranks' weights, the same on every rank.
     */
    default double weightSum()
    {
        return 0;
    }

    /**
     * The call failed (this rank's own failure or a peer's abort): give up whatever the algorithm holds beyond
     * this engine, such as calls it runs on other communicators. Nothing by default.
     *
     * @param failure what ended the call.
     */
    default void abort(final RuntimeException failure)
    {
    }

    /**
     * @return the rank this rank is waiting on now (for data), or -1.
     */
    int awaitedPeer();

    /**
     * @return chunks received so far in this call.
     */
    int chunksReceived();

    /**
     * @return a short description of where the call is, for error messages.
     */
    String progress();
}

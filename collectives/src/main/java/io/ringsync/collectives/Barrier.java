package io.ringsync.collectives;

import io.ringsync.codecs.ChunkDecoder;
import org.agrona.DirectBuffer;

/**
 * Barrier, and the barrier {@code close()} runs: a ring AllReduce of an empty vector. Every one of its 2 (n-1)
 * steps moves one header-only message to the right, so no rank leaves before every rank has entered, and each
 * rank checks the call its left neighbour made (a barrier against an allReduce fails as a mismatch on all).
 */
final class Barrier implements Algorithm
{
    private final RingAllReduce ring;
    private final Request empty = new Request();

    Barrier(final RingAllReduce ring)
    {
        this.ring = ring;
        empty.kind = CallKind.BARRIER;
        empty.type = DataType.FLOAT32;
        empty.op = ReduceOp.SUM;
    }

    public void start(final Request call)
    {
        empty.sequence = call.sequence;
        ring.start(empty);
    }

    public int doWork()
    {
        return ring.doWork();
    }

    public boolean onChunk(final ChunkDecoder decoder, final DirectBuffer buffer, final int payloadOffset)
    {
        return ring.onChunk(decoder, buffer, payloadOffset);
    }

    public boolean isDone()
    {
        return ring.isDone();
    }

    public int awaitedPeer()
    {
        return ring.awaitedPeer();
    }

    public int chunksReceived()
    {
        return ring.chunksReceived();
    }

    public String progress()
    {
        return "barrier: " + ring.progress();
    }
}

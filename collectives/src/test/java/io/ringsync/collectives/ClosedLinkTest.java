package io.ringsync.collectives;

import io.ringsync.transport.ForwardingInboundLink;
import io.ringsync.transport.ForwardingOutboundLink;
import io.ringsync.transport.ForwardingTransport;
import io.ringsync.transport.InboundLink;
import io.ringsync.transport.LocalTransport;
import io.ringsync.transport.MessageHandler;
import io.ringsync.transport.OutboundLink;
import io.ringsync.transport.Transport;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rank whose link to its right neighbour closed for good (the neighbour shut the connection, as a tcp rank does
 * on a frame that fails authentication) cannot forward the chunks that neighbour sent it. Those chunks must not
 * stay at the head of the inbound link: the neighbour's abort, with the cause, comes after them.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ClosedLinkTest
{
    private static final String CAUSE = "the test cut the link from rank 0";
    private static final long DEADLINE_MS = 20_000;

    @Test
    void chunksThatCannotBeForwardedDoNotHideTheNeighboursAbort() throws Exception
    {
        // from its second call on, rank 0's link to rank 1 is closed for good and rank 1 sees its link from rank 0
        // lost: the two ends of one connection that rank 1 shut
        final long[] failedAfterMs = new long[2];
        final List<RankThreads.Outcome<Integer>> outcomes = cutInTheSecondCall(true, DEADLINE_MS, failedAfterMs);

        final Throwable rank1 = outcomes.get(1).error;
        assertInstanceOf(PeerFailedException.class, rank1, String.valueOf(rank1));
        assertEquals(0, ((RingsyncException)rank1).suspectRank(), rank1.getMessage());
        assertTrue(rank1.getMessage().contains(CAUSE), rank1.getMessage());
        final Throwable rank0 = outcomes.get(0).error;
        assertInstanceOf(RingsyncException.class, rank0, String.valueOf(rank0));
        assertTrue(rank0.getMessage().contains("abort from rank 1") && rank0.getMessage().contains(CAUSE),
            "rank 0 learns rank 1's cause, not only its own deadline: " + rank0.getMessage());
        assertTrue(Math.max(failedAfterMs[0], failedAfterMs[1]) < DEADLINE_MS / 2,
            "both failed well before the deadline: " + Arrays.toString(failedAfterMs) + " ms");
    }

    /**
     * Only the sending end learns of the cut: rank 0's claims to rank 1 find the link closed for good, while rank 1
     * sees its link from rank 0 neither lost nor delivering, so no abort can come from it. Rank 0, which cannot send
     * what rank 1 needs, names rank 1 and its link soon after, not at its deadline; rank 1 names rank 0 (at its own
     * deadline, or sooner once rank 0 has closed its communicator).
     */
    @Test
    void aLinkClosedOnlyAtTheSendersEndIsNamedBeforeTheDeadline() throws Exception
    {
        final long deadlineMs = 4_000;
        final long[] failedAfterMs = new long[2];
        final List<RankThreads.Outcome<Integer>> outcomes = cutInTheSecondCall(false, deadlineMs, failedAfterMs);

        final Throwable rank0 = outcomes.get(0).error;
        assertInstanceOf(PeerFailedException.class, rank0, String.valueOf(rank0));
        assertEquals(1, ((RingsyncException)rank0).suspectRank(), rank0.getMessage());
        assertTrue(rank0.getMessage().contains("link to rank 1 closed for good"), rank0.getMessage());
        assertTrue(failedAfterMs[0] < deadlineMs / 2, "rank 0 failed after " + failedAfterMs[0] + " ms");
        final Throwable rank1 = outcomes.get(1).error;
        assertInstanceOf(RingsyncException.class, rank1, String.valueOf(rank1));
        assertEquals(0, ((RingsyncException)rank1).suspectRank(), rank1.getMessage());
    }

    /**
     * Two ranks make an exact 8 KiB call over the ring (4 chunks a segment: rank 1's step-0 chunks need a forward on
     * rank 0), then cut the link as {@link CutLinks} says and make a second call.
     *
     * @param failedAfterMs filled with how long each rank's second call took to end.
     */
    private static List<RankThreads.Outcome<Integer>> cutInTheSecondCall(
        final boolean inboundToo, final long deadlineMs, final long[] failedAfterMs) throws Exception
    {
        final LocalTransport[] job = LocalTransport.createJob(2, LocalTransport.LINK_CAPACITY_DEFAULT);
        final AtomicBoolean[] cut = { new AtomicBoolean(), new AtomicBoolean() };
        final Transport[] transports =
            { new CutLinks(job[0], cut[0], inboundToo), new CutLinks(job[1], cut[1], inboundToo) };
        return RankThreads.run(2, 3 * deadlineMs + 20_000,
            (rank) -> Communicator.connect(transports[rank], new Context()
                .timeoutNs(TimeUnit.MILLISECONDS.toNanos(deadlineMs))
                .smallMaxBytes(0)
                .chunkBytes(1024)),
            (comm) ->
            {
                final float[] vector = new float[2048];
                Arrays.fill(vector, 1 + comm.rank());
                comm.allReduce(vector, ReduceOp.SUM);
                assertEquals(3.0f, vector[2047]);
                cut[comm.rank()].set(true);
                final long start = System.nanoTime();
                try
                {
                    comm.allReduce(vector, ReduceOp.SUM);
                }
                finally
                {
                    failedAfterMs[comm.rank()] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                }
                return 2;
            });
    }

    /**
     * A transport whose link to the other rank ends once {@code cut} is set (claims on rank 0's link to rank 1 find
     * it closed for good) and, with {@code inboundToo}, whose link from it ends too (rank 1's from rank 0 is lost
     * and delivers nothing more).
     */
    private static final class CutLinks extends ForwardingTransport
    {
        private final OutboundLink[] outbound;
        private final InboundLink[] inbound;

        CutLinks(final Transport delegate, final AtomicBoolean cut, final boolean inboundToo)
        {
            super(delegate);
            this.outbound = new OutboundLink[delegate.worldSize()];
            this.inbound = new InboundLink[delegate.worldSize()];
            for (int peer = 0; peer < delegate.worldSize(); peer++)
            {
                if (peer != delegate.rank())
                {
                    outbound[peer] = new CutOutbound(delegate.outbound(peer), cut);
                    inbound[peer] = inboundToo ? new CutInbound(delegate.inbound(peer), cut) : delegate.inbound(peer);
                }
            }
        }

        public OutboundLink outbound(final int peer)
        {
            return outbound[peer];
        }

        public InboundLink inbound(final int peer)
        {
            return inbound[peer];
        }
    }

    private static final class CutOutbound extends ForwardingOutboundLink
    {
        private final AtomicBoolean cut;

        CutOutbound(final OutboundLink delegate, final AtomicBoolean cut)
        {
            super(delegate);
            this.cut = cut;
        }

        private boolean isCut()
        {
            // only rank 0's link to rank 1 is cut (rank 1 must still reach rank 0 with its abort)
            return cut.get() && 1 == delegate.peer();
        }

        public long tryClaim(final int length)
        {
            return isCut() ? CLOSED : delegate.tryClaim(length);
        }

        public long offer(final DirectBuffer src, final int offset, final int length)
        {
            return isCut() ? CLOSED : delegate.offer(src, offset, length);
        }
    }

    private static final class CutInbound extends ForwardingInboundLink
    {
        private final AtomicBoolean cut;

        CutInbound(final InboundLink delegate, final AtomicBoolean cut)
        {
            super(delegate);
            this.cut = cut;
        }

        private boolean isCut()
        {
            // only rank 1's link from rank 0 is cut
            return cut.get() && 0 == delegate.peer();
        }

        public int poll(final MessageHandler handler, final int limit)
        {
            return isCut() ? 0 : delegate.poll(handler, limit);
        }

        public boolean isLost()
        {
            return isCut() || delegate.isLost();
        }

        public String lossReason()
        {
            return isCut() ? CAUSE : delegate.lossReason();
        }
    }
}

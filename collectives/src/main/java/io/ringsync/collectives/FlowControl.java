package io.ringsync.collectives;

import io.ringsync.transport.OutboundLink;

/**
 * How many bytes one chunk carries and how much of a link's window the ring keeps free for forwards: the two
 * numbers that make a pipelined ring both fast and deadlock-free, computed once per communicator from the links.
 * <p>
 * Chunks fit one unfragmented message. On a link whose window counts bytes (Aeron), n + 2 of them fit the
 * window, as the ring's flow control needs there (see {@link RingAllReduce}); a link of fixed slots (shm) needs
 * only two: the ring keeps one for forwards, so its links can never all be full at once.
 */
final class FlowControl
{
    private final int size;
    private final double reserveShare;
    private final long windowLength;
    private final boolean fixedSlots;
    private final int chunkBytes;

    /**
     * @throws ConfigurationException when a link's window is too small for a ring of this size.
     */
    FlowControl(final Group group, final Context ctx)
    {
        this.size = group.size;
        this.reserveShare = ctx.ringReserve();
        final int maxPayload = group.transport().maxMessageLength() - Wire.CHUNK_HEADER_LENGTH;
        long window = Long.MAX_VALUE;
        for (int peer = 0; peer < size; peer++)
        {
            if (peer != group.rank)
            {
                final OutboundLink link = group.outbound(peer);
                window = Math.min(window, link.windowLength() > 0 ? link.windowLength() : link.availableWindow());
            }
        }
        long bytes = Math.min(ctx.chunkBytes(), maxPayload);
        boolean slots = false;
        if (size > 1)
        {
            final OutboundLink link = group.outbound(group.right);
            final int smallest = link.framedLength(64 + Wire.CHUNK_HEADER_LENGTH);
            slots = smallest == link.framedLength(group.transport().maxMessageLength());
            final int messages = slots ? 2 : size + 2;
            final long perMessage = window / messages;
            while (bytes > 64 && link.framedLength((int)bytes + Wire.CHUNK_HEADER_LENGTH) > perMessage)
            {
                bytes -= 64;
            }
            if (smallest > perMessage)
            {
                throw new ConfigurationException("rank " + group.rank + ": a link of " + group.transport().name() +
                    " holds " + window + " bytes, fewer than the " + messages + " messages of " + smallest +
                    " bytes a ring of " + size + " ranks needs in flight; raise " +
                    ("shm".equals(group.transport().name()) ? Configuration.SHM_SLOT_COUNT_ENV :
                    Configuration.TERM_LENGTH_ENV), -1);
            }
        }
        this.windowLength = size == 1 ? Long.MAX_VALUE : window;
        this.fixedSlots = slots;
        this.chunkBytes = (int)(bytes & ~63L);
    }

    /**
     * @return largest payload of one chunk message in bytes.
     */
    int chunkBytes()
    {
        return chunkBytes;
    }

    /**
     * @param type of the elements.
     * @return largest piece in elements.
     */
    int maxPieceElements(final DataType type)
    {
        return chunkBytes >> type.shift();
    }

    /**
     * The bytes of a link's window that a ring's new chunks must leave free for forwarded ones: the configured
     * share of the window, at least one message on fixed slots (then the links of a ring can never all be full,
     * so some rank can always forward) or n + 1 messages on byte windows (whose messages of successive calls may
     * differ in length), and never so much that not even one new chunk fits an empty link.
     *
     * @param framedLength of one message of the call.
     * @return bytes to keep free before injecting.
     */
    long reserve(final long framedLength)
    {
        final long floor = (fixedSlots ? 1L : size + 1L) * framedLength;
        final long share = (long)(reserveShare * windowLength);
        final long wanted = Math.max(floor, share - share % framedLength);
        return Math.max(floor, Math.min(wanted, windowLength - framedLength));
    }
}

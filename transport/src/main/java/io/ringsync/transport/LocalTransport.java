package io.ringsync.transport;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.util.Objects;

/**
 * Ranks as threads of one JVM: every directed link is an Agrona {@link OneToOneRingBuffer} in off-heap
 * memory, so the same claim / commit / poll-in-place code paths run as over Aeron. Used by the unit tests
 * and by applications that want several ranks in one process.
 * <p>
 * Create all ranks of a job at once with {@link #createJob(int, int)} and hand one to each thread.
 */
public final class LocalTransport implements Transport
{
    static { RuntimeRequirements.check(); } // before anything touches Agrona

    /**
     * Default capacity of one directed link: 256 KiB gives 32 KiB messages (Agrona allows capacity / 8).
     */
    public static final int LINK_CAPACITY_DEFAULT = 256 * 1024;

    private static final int MSG_TYPE_ID = 1;

    private final Job job;
    private final int rank;
    private final int worldSize;
    private final Outbound[] outbound;
    private final Inbound[] inbound;
    private final int maxMessageLength;

    private LocalTransport(final Job job, final int rank, final int worldSize, final Link[][] links)
    {
        this.job = job;
        this.rank = rank;
        this.worldSize = worldSize;
        this.outbound = new Outbound[worldSize];
        this.inbound = new Inbound[worldSize];
        int maxLength = Integer.MAX_VALUE;
        for (int peer = 0; peer < worldSize; peer++)
        {
            if (peer != rank)
            {
                outbound[peer] = links[rank][peer].out;
                inbound[peer] = links[peer][rank].in;
                maxLength = Math.min(maxLength, links[rank][peer].ring.maxMsgLength());
            }
        }
        this.maxMessageLength = worldSize == 1 ? 64 * 1024 : maxLength;
    }

    /**
     * Create the transports of every rank of one in-JVM job.
     *
     * @param worldSize    number of ranks, at least 1.
     * @param linkCapacity bytes of each directed link's ring, a power of two of at least 1 KiB.
     * @return one transport per rank, index = rank.
     */
    public static LocalTransport[] createJob(final int worldSize, final int linkCapacity)
    {
        if (worldSize < 1)
        {
            throw new IllegalArgumentException("worldSize must be >= 1: " + worldSize);
        }
        if (!BitUtil.isPowerOfTwo(linkCapacity) || linkCapacity < 1024)
        {
            throw new IllegalArgumentException("linkCapacity must be a power of two >= 1024: " + linkCapacity);
        }
        final Job job = new Job(linkCapacity);
        final Link[][] links = job.links(worldSize);
        final LocalTransport[] transports = new LocalTransport[worldSize];
        for (int rank = 0; rank < worldSize; rank++)
        {
            transports[rank] = new LocalTransport(job, rank, worldSize, links);
        }
        return transports;
    }

    /**
     * A mesh of its own among some ranks of this one: the first member to open it creates its links, the others
     * find them by {@code meshId}.
     *
     * @param meshId  identical on every member.
     * @param members ranks of this transport in the new mesh's order; this rank is one of them.
     * @return the new mesh.
     */
    public Transport openMesh(final long meshId, final int[] members)
    {
        final int newRank = Transport.rankInMesh(members, rank, worldSize);
        return new LocalTransport(job, newRank, members.length, job.mesh(meshId, members.length));
    }

    /**
     * {@inheritDoc}
     */
    public int rank()
    {
        return rank;
    }

    /**
     * {@inheritDoc}
     */
    public int worldSize()
    {
        return worldSize;
    }

    /**
     * {@inheritDoc}
     */
    public String name()
    {
        return "local";
    }

    /**
     * {@inheritDoc}
     */
    public OutboundLink outbound(final int peer)
    {
        return Objects.requireNonNull(outbound[peer], "no link to self");
    }

    /**
     * {@inheritDoc}
     */
    public InboundLink inbound(final int peer)
    {
        return Objects.requireNonNull(inbound[peer], "no link to self");
    }

    /**
     * {@inheritDoc}
     */
    public int maxMessageLength()
    {
        return maxMessageLength;
    }

    /**
     * Closes this rank's sending ends: peers see their inbound links from this rank as lost once drained.
     */
    public void close()
    {
        for (final Outbound end : outbound)
        {
            if (null != end)
            {
                end.link.closed = true;
            }
        }
    }

    /**
     * The links of every mesh of one in-JVM job, so that members opening the same mesh on their own threads find
     * the same links.
     */
    static final class Job
    {
        private final int linkCapacity;
        private final java.util.concurrent.ConcurrentHashMap<Long, Link[][]> meshes =
            new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.concurrent.ConcurrentHashMap<Long, Integer> opened =
            new java.util.concurrent.ConcurrentHashMap<>();

        Job(final int linkCapacity)
        {
            this.linkCapacity = linkCapacity;
        }

        Link[][] links(final int size)
        {
            final Link[][] links = new Link[size][size];
            for (int from = 0; from < size; from++)
            {
                for (int to = 0; to < size; to++)
                {
                    if (from != to)
                    {
                        links[from][to] = new Link(from, to, linkCapacity);
                    }
                }
            }
            return links;
        }

        Link[][] mesh(final long meshId, final int size)
        {
            final Link[][] links = meshes.computeIfAbsent(meshId, (id) -> links(size));
            if (links.length != size)
            {
                throw new IllegalArgumentException("mesh " + Long.toHexString(meshId) + " was opened with " +
                    links.length + " members, now with " + size);
            }
            // once every member holds the links the job need not: the mesh goes when its transports do
            if (opened.merge(meshId, 1, Integer::sum) == size)
            {
                opened.remove(meshId);
                meshes.remove(meshId);
            }
            return links;
        }
    }

    /**
     * One directed link: a single-producer single-consumer ring shared by the sender's outbound end and
     * the receiver's inbound end.
     */
    static final class Link
    {
        final OneToOneRingBuffer ring;
        final UnsafeBuffer buffer;
        volatile boolean closed;
        final Outbound out;
        final Inbound in;

        Link(final int from, final int to, final int capacity)
        {
            this.buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
                capacity + RingBufferDescriptor.TRAILER_LENGTH, 64));
            this.ring = new OneToOneRingBuffer(buffer);
            this.out = new Outbound(this, to);
            this.in = new Inbound(this, from);
        }
    }

    static final class Outbound implements OutboundLink
    {
        private final Link link;
        private final int peer;
        private int claimIndex = -1;

        Outbound(final Link link, final int peer)
        {
            this.link = link;
            this.peer = peer;
        }

        public int peer()
        {
            return peer;
        }

        public long tryClaim(final int length)
        {
            if (link.closed)
            {
                return CLOSED;
            }
            final int index = link.ring.tryClaim(MSG_TYPE_ID, length);
            if (index < 0)
            {
                return BACK_PRESSURED;
            }
            claimIndex = index;
            return index;
        }

        public MutableDirectBuffer buffer()
        {
            return link.buffer;
        }

        public void commit()
        {
            link.ring.commit(claimIndex);
            claimIndex = -1;
        }

        public void abort()
        {
            link.ring.abort(claimIndex);
            claimIndex = -1;
        }

        public long availableWindow()
        {
            return link.closed ? 0 : Math.max(0, link.ring.capacity() - link.ring.size());
        }

        public long windowLength()
        {
            return link.ring.capacity();
        }

        public int framedLength(final int length)
        {
            // Agrona ring buffer records: 8-byte header, 8-byte alignment
            return BitUtil.align(length + 8, 8);
        }
    }

    static final class Inbound implements InboundLink, ControlledMessageHandler
    {
        private final Link link;
        private final int peer;
        private MessageHandler handler;

        Inbound(final Link link, final int peer)
        {
            this.link = link;
            this.peer = peer;
        }

        public int peer()
        {
            return peer;
        }

        public int poll(final MessageHandler handler, final int limit)
        {
            this.handler = handler;
            try
            {
                return link.ring.controlledRead(this, limit);
            }
            finally
            {
                this.handler = null;
            }
        }

        public Action onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            return handler.onMessage(buffer, index, length) ? Action.CONTINUE : Action.ABORT;
        }

        public boolean isLost()
        {
            return link.closed && link.ring.size() == 0;
        }
    }
}

package io.ringsync.collectives;

/**
 * The algorithm a call runs. Chosen from the call's kind and its size in bytes,
 * never from the transport alone, so every rank of a matching call takes the same path and, since each path
 * fixes its own summation order, a given call gives the same bits on every transport.
 */
public enum Path
{
    /**
     * A communicator of one rank: nothing to exchange.
     */
    LOCAL("local"),

    /**
     * AllReduce of at most {@code RINGSYNC_SMALL_MAX_BYTES}: every rank sends its vector to every other, each
     * folds all of them in rank order ({@code SmallAllReduce}).
     */
    SMALL("small"),

    /**
     * Vectors of at most 88 bytes on one host: each rank's contribution inside its call descriptor in its shm window,
     * folded in the small path's order ({@code InlineAllReduce}).
     */
    INLINE("inline"),

    /**
     * The pipelined ring AllReduce: reduce-scatter, then allgather ({@code RingAllReduce}).
     */
    RING("ring"),

    /**
     * Over shm, an AllReduce of at least {@code RINGSYNC_SHM_DIRECT_MIN_BYTES}: ranks read each other's mapped
     * windows in the ring's summation order ({@code DirectAllReduce}).
     */
    DIRECT("direct"),

    /**
     * Ranks on several hosts, several on a host: reduce inside each host over shared memory, across hosts between
     * the ranks that hold the same share, then gather inside each host ({@code HostAwareAllReduce}).
     */
    HOST_AWARE("host-aware"),

    /**
     * The reduce-scatter half of the ring.
     */
    RING_REDUCE_SCATTER("ring-reduce-scatter"),

    /**
     * The allgather half of the ring; split's exchange of colours and keys runs it too.
     */
    RING_ALL_GATHER("ring-allgather"),

    /**
     * Pipelined chain broadcast along the ring ({@code ChainBroadcast}).
     */
    CHAIN_BROADCAST("chain-broadcast"),

    /**
     * An empty ring pass: barrier, and the barrier of close.
     */
    BARRIER("barrier");

    private final String label;

    Path(final String label)
    {
        this.label = label;
    }

    /**
     * @return the short name reports use (the bench's algorithm column): {@code small}, {@code ring},
     * {@code direct}, ...
     */
    public String label()
    {
        return label;
    }
}

package io.ringsync.collectives;

/**
 * The one place that decides which algorithm runs a call: every call of the engine and every report (the
 * bench's algorithm column) asks {@link #choose}.
 * <p>
 * AllReduce and weighted averages: up to the small-vector switch ({@link #smallMaxBytes}) the small-vector path, or
 * the inline path ({@link InlineAllReduce}: the same fold, the vector inside the shm call descriptor) for vectors
 * of at most {@link InlineAllReduce#MAX_BYTES} bytes where the direct mode's windows exist; above it, when ranks
 * share hosts across several hosts, the host-aware path ({@link HostAwareAllReduce}); else from
 * {@link Context#directMinBytes()} the shm direct mode where the transport offers shared windows, the ring in
 * between. The switch depends on the vector's size in bytes and on what every rank of the communicator shares
 * (its size, transport and settings), so ranks making the same call choose alike. The other collectives have one
 * path each.
 * <p>
 * From three ranks on, the small path and the ring sum in different orders, so the small-vector switch never
 * depends on the transport there and a call gives the same bits on every transport. In a group of two both
 * compute {@code x0 op x1} with the same kernels (the same bits, as a test checks), and the small path moves the
 * ring's bytes in one step instead of two: there the switch may follow the transport (tcp, where it measured
 * faster).
 */
final class PathChooser
{
    private final int size;
    private final int smallMaxBytes;
    private final long directMinBytes;
    private final boolean directAvailable;
    private final boolean hostAware;

    /**
     * @param size            ranks of the communicator.
     * @param smallMaxBytes   largest AllReduce of the small-vector path, 0 for never (already resolved, see
     *                        {@link #smallMaxBytes}).
     * @param directMinBytes  smallest AllReduce of the direct mode, -1 for never.
     * @param directAvailable whether the transport offers the shared windows the direct mode reads.
     */
    PathChooser(final int size, final int smallMaxBytes, final long directMinBytes, final boolean directAvailable)
    {
        this(size, smallMaxBytes, directMinBytes, directAvailable, false);
    }

    /**
     * The small-vector switch of a communicator: the setting when one was made, else by the group (see
     * {@link Configuration#SMALL_MAX_BYTES_BY_GROUP}).
     *
     * @param setting    {@link Context#smallMaxBytes()}.
     * @param size       ranks of the communicator.
     * @param transport  name of the communicator's transport.
     * @param narrowWire whether its float32 calls cross the links as bfloat16: the ring then moves half the bytes,
     *                   so a pair keeps the general switch.
     * @return largest AllReduce of the small-vector path, 0 for never.
     */
    static int smallMaxBytes(final int setting, final int size, final String transport, final boolean narrowWire)
    {
        if (setting != Configuration.SMALL_MAX_BYTES_BY_GROUP)
        {
            return setting;
        }
        return size == 2 && "tcp".equals(transport) && !narrowWire ? Configuration.SMALL_MAX_BYTES_TCP_PAIR_DEFAULT :
            Configuration.SMALL_MAX_BYTES_DEFAULT;
    }

    /**
     * @return largest AllReduce of the small-vector path, 0 for never.
     */
    int smallMaxBytes()
    {
        return smallMaxBytes;
    }

    private PathChooser(
        final int size, final int smallMaxBytes, final long directMinBytes, final boolean directAvailable,
        final boolean hostAware)
    {
        this.size = size;
        this.smallMaxBytes = smallMaxBytes;
        this.directMinBytes = directMinBytes;
        this.directAvailable = directAvailable && directMinBytes >= 0;
        this.hostAware = hostAware;
    }

    /**
     * @return this chooser, sending AllReduce calls above the small-vector size along the host-aware path.
     */
    PathChooser withHostAware()
    {
        return new PathChooser(size, smallMaxBytes, directMinBytes, directAvailable, true);
    }

    /**
     * @param kind  of the call.
     * @param count elements of the vector.
     * @param type  of the elements (null for calls without a vector).
     * @return the path the call runs.
     */
    Path choose(final CallKind kind, final int count, final DataType type)
    {
        if (size == 1)
        {
            return Path.LOCAL;
        }
        switch (kind)
        {
            case ALL_REDUCE:
            case WEIGHTED_AVERAGE:
                final long bytes = (long)count * type.byteSize();
                if (smallMaxBytes > 0 && bytes <= smallMaxBytes)
                {
                    return directAvailable && !hostAware && bytes <= InlineAllReduce.MAX_BYTES ? Path.INLINE :
                        Path.SMALL;
                }
                if (hostAware)
                {
                    return Path.HOST_AWARE;
                }
                return directAvailable && bytes >= directMinBytes ? Path.DIRECT : Path.RING;

            case REDUCE_SCATTER:
                return Path.RING_REDUCE_SCATTER;

            case ALL_GATHER:
            case SPLIT:
                return Path.RING_ALL_GATHER;

            case BROADCAST:
                return Path.CHAIN_BROADCAST;

            case BARRIER:
            case CLOSE:
                return Path.BARRIER;

            default:
                throw new IllegalArgumentException("no path for " + kind);
        }
    }

    /**
     * Whether a call's float32 values cross the links as bfloat16: only where the settings ask for it
     * ({@code narrow}, decided per communicator), only on the ring, only for AllReduce and weighted averages (a
     * reduction whose owner rounds the final value itself, so every rank holds the same bits; a data move would hand
     * the others rounded values of what the root keeps whole).
     *
     * @param narrow whether this communicator narrows its wire.
     */
    static boolean narrowsWire(final boolean narrow, final CallKind kind, final DataType type, final Path path)
    {
        return narrow && path == Path.RING && type == DataType.FLOAT32 &&
            (kind == CallKind.ALL_REDUCE || kind == CallKind.WEIGHTED_AVERAGE);
    }

    /**
     * @return whether large AllReduce calls may take the direct mode.
     */
    boolean directAvailable()
    {
        return directAvailable;
    }
}

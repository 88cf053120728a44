package io.ringsync.collectives;

import org.agrona.UnsafeApi;

/**
 * {@link Configuration#CHECK_FINITE_ENV}: finds the first NaN or infinity in what this rank contributes to a call,
 * before anything is sent, so the call can be refused on every rank ({@link Refusals}) instead of the value
 * becoming every rank's result. The contribution is the whole vector of an AllReduce, a reduce-scatter or a
 * weighted average of non-zero weight (weight 0: the vector is ignored, NaN included), this rank's own block of an
 * allGather, the root's vector of a broadcast; nothing for the others.
 * <p>
 * The scan runs {@link VectorFiniteScan} where {@link Kernels#VECTORIZED}, else the scalar loop here, which tests
 * the exponent bits of each element (all ones: NaN or infinity). Allocation-free.
 */
final class FiniteCheck
{
    private static final int FLOAT_EXPONENT = 0x7f80_0000;
    private static final long DOUBLE_EXPONENT = 0x7ff0_0000_0000_0000L;

    private FiniteCheck()
    {
    }

    /**
     * @param rank of this rank.
     * @param size ranks of the communicator.
     * @return the index in the call's vector of the first non-finite element this rank contributes, or -1.
     */
    static long firstNonFinite(final Request call, final int rank, final int size)
    {
        switch (call.kind)
        {
            case ALL_REDUCE:
            case REDUCE_SCATTER:
                return scan(call.type, call.base, call.address, call.count);
            case WEIGHTED_AVERAGE:
                return 0 == call.weight ? -1 : scan(call.type, call.base, call.address, call.count);
            case ALL_GATHER:
            {
                final int block = call.count / size;
                final long start = (long)rank * block;
                final long index = scan(call.type, call.base, call.address + (start << call.type.shift()), block);
                return index < 0 ? -1 : start + index;
            }
            case BROADCAST:
                return rank == call.root ? scan(call.type, call.base, call.address, call.count) : -1;
            default:
                return -1;
        }
    }

    /**
     * @return the index of the first NaN or infinity among {@code count} elements, or -1.
     */
    static long scan(final DataType type, final Object base, final long address, final int count)
    {
        return Kernels.VECTORIZED ? VectorFiniteScan.first(type, base, address, count) :
            scalarScan(type, base, address, count);
    }

    /**
     * {@link #scan} with the scalar loop, whatever the JVM offers.
     */
    static long scalarScan(final DataType type, final Object base, final long address, final int count)
    {
        if (type == DataType.FLOAT64)
        {
            for (int i = 0; i < count; i++)
            {
                if ((UnsafeApi.getLong(base, address + ((long)i << 3)) & DOUBLE_EXPONENT) == DOUBLE_EXPONENT)
                {
                    return i;
                }
            }
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                if ((UnsafeApi.getInt(base, address + ((long)i << 2)) & FLOAT_EXPONENT) == FLOAT_EXPONENT)
                {
                    return i;
                }
            }
        }
        return -1;
    }

    /**
     * @param index    found by {@link #firstNonFinite}.
     * @param callName of the call, for the message.
     * @return why this rank refuses the call, naming itself, the element and its value.
     */
    static String describe(final Request call, final long index, final int rank, final String callName)
    {
        final double value = call.type == DataType.FLOAT64 ?
            UnsafeApi.getDouble(call.base, call.address + (index << 3)) :
            UnsafeApi.getFloat(call.base, call.address + (index << 2));
        return "element " + index + " of rank " + rank + "'s input to " + callName + " #" + call.sequence + " is " +
            value + " (" + Configuration.CHECK_FINITE_ENV + "=1 refuses NaN and infinity)";
    }
}

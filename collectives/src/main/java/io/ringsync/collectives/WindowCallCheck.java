package io.ringsync.collectives;

import io.ringsync.codecs.Collective;
import io.ringsync.codecs.ElementType;
import io.ringsync.codecs.Reduction;

/**
 * Whether a peer published in its shm window the AllReduce this rank runs: the check that the two paths reading
 * peers' windows (the direct mode and the inline path) make before they read any of the peer's data, with the one
 * message that names both calls.
 */
final class WindowCallCheck
{
    private WindowCallCheck()
    {
    }

    /**
     * @param rank         this rank.
     * @param sequence     the call.
     * @param peer         the rank whose descriptor was read.
     * @param collective   its descriptor's collective.
     * @param elementType  its element type.
     * @param reduction    its reduction.
     * @param count        its element count.
     * @param ownType      this rank's element type.
     * @param ownReduction this rank's reduction.
     * @param ownCount     this rank's element count.
     * @throws CollectiveMismatchException naming {@code peer} when any of them differs.
     */
    static void requireSameAllReduce(
        final int rank, final long sequence, final int peer, final int collective, final int elementType,
        final int reduction, final int count, final DataType ownType, final Reduction ownReduction,
        final int ownCount)
    {
        if (collective != Collective.ALL_REDUCE.value() || elementType != Wire.elementType(ownType).value() ||
            reduction != ownReduction.value() || count != ownCount)
        {
            throw new CollectiveMismatchException("rank " + rank + ": allReduce #" + sequence + " mismatch: rank " +
                peer + " called " + Wire.describe(Collective.get((short)collective),
                ElementType.get((short)elementType), Reduction.get((short)reduction), count, -1) +
                " but rank " + rank + " called " + Wire.describe(Collective.ALL_REDUCE, Wire.elementType(ownType),
                ownReduction, ownCount, -1) + "; every rank must make the same collective calls, in the same " +
                "order, with the same length, type, op and root", peer);
        }
    }
}

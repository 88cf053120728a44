package io.ringsync.collectives;

/**
 * The rules of a weighted average around the AllReduce that computes it: before, each rank scales its own vector
 * by its weight (weight 0: its vector is ignored, NaN included); after, the sum of the weights decides whether
 * there is an average at all. A bad weight still takes part, travelling as NaN in the headers, so every rank fails
 * at once rather than at its deadline, and the communicator stays usable: a bad argument, not a broken job.
 */
final class WeightedAverages
{
    private WeightedAverages()
    {
    }

    /**
     * The sum of the paths that fold in rank order (the small-vector and inline paths): the ranks' weights added
     * 0, 1, ..., n-1, so every rank divides by the same bits.
     *
     * @param weights by rank; complete once every rank's contribution was seen.
     * @return their sum in rank order.
     */
    static double sumInRankOrder(final double[] weights)
    {
        double sum = 0;
        for (final double weight : weights)
        {
            sum += weight;
        }
        return sum;
    }

    /**
     * Scale the call's vector by its weight and replace an invalid weight by NaN, which the algorithms carry.
     *
     * @param size ranks of the communicator: alone, a rank leaves its vector as it is.
     */
    static void prepare(final Request call, final int size)
    {
        final double requested = call.weight;
        final boolean valid = isValid(requested);
        call.requestedWeight = requested;
        call.weight = valid ? requested : Double.NaN;
        if (size == 1)
        {
            call.weightSum = call.weight;
        }
        else
        {
            Kernels.scale(call.type, call.base, call.address, call.count, valid ? requested : 0);
        }
    }

    /**
     * @param rank     this rank.
     * @param sequence of the call.
     * @return the exception the call ends with, every rank alike, or null when the average is valid.
     */
    static IllegalArgumentException check(final Request call, final int rank, final long sequence)
    {
        if (!isValid(call.requestedWeight))
        {
            return new IllegalArgumentException("rank " + rank + ": weightedAverage #" + sequence + ": the weight " +
                "must be finite and >= 0 (0 = this rank has no data this round), got " + call.requestedWeight +
                "; the other ranks fail too, the communicator remains usable");
        }
        if (Double.isNaN(call.weightSum))
        {
            return new IllegalArgumentException("rank " + rank + ": weightedAverage #" + sequence + ": another " +
                "rank passed an invalid weight (negative, NaN or infinite; see its error); the vector's contents " +
                "are unspecified, the communicator remains usable");
        }
        if (!(call.weightSum > 0))
        {
            return new IllegalArgumentException("rank " + rank + ": weightedAverage #" + sequence + ": every rank " +
                "passed weight 0, so there is no average; the vector's contents are unspecified, the communicator " +
                "remains usable");
        }
        return null;
    }

    private static boolean isValid(final double weight)
    {
        return weight >= 0 && !Double.isInfinite(weight);
    }
}

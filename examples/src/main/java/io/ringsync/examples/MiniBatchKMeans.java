package io.ringsync.examples;

import java.util.SplittableRandom;

/**
 * Mini-batch k-means as in Sculley, "Web-scale k-means clustering" (WWW 2010), and its distributed form.
 * <p>
 * A step takes a mini-batch, assigns every point to its nearest centre (all against the centres as they were
 * at the start of the batch), then moves each point's centre towards it with the per-centre learning rate
 * 1 / (points that centre has absorbed so far): each centre stays the running mean of every point it was
 * ever given, and so settles down as it absorbs more.
 * <p>
 * Distributed: all ranks hold the same centres and counts after every sync. Between syncs a rank trains its
 * own working copy as above and also adds up, per centre, the sum and the count of the points it assigned.
 * A sync is ONE allReduce(SUM) of the vector {@code [sums of centre 0 .. sums of centre k-1 | k counts]};
 * then every rank folds the totals into the common centres the same way a single process would fold one big
 * batch: with n points summing to s added to a centre c that had absorbed N, {@code N += n},
 * {@code c += (s - n c) / N}. The result depends only on the common state and the reduced vector, which are
 * bitwise identical on every rank, so the centres stay bitwise identical too.
 */
public final class MiniBatchKMeans
{
    private MiniBatchKMeans()
    {
    }

    /**
     * One Sculley step over points {@code [from, to)}, also accumulating what a sync needs.
     *
     * @param centres    k * d working centres, updated in place.
     * @param counts     k working counts (points absorbed), updated in place.
     * @param points     the data.
     * @param from       first point of the batch.
     * @param to         after its last.
     * @param assignment room for one int per point of the batch, reused across calls.
     * @param syncVector k * d sums then k counts of points assigned since the last sync, added to; may be null.
     * @return the batch's summed squared distance to the nearest centre, before the step.
     */
    public static double trainBatch(
        final float[] centres, final double[] counts, final DensePoints points, final int from, final int to,
        final int[] assignment, final float[] syncVector)
    {
        final int k = counts.length;
        final int d = points.dimension();
        final float[] data = points.data();
        double inertia = 0;
        for (int point = from; point < to; point++)
        {
            final int nearest = nearest(centres, k, data, point * d, d);
            assignment[point - from] = nearest;
            inertia += squaredDistance(centres, nearest * d, data, point * d, d);
        }
        for (int point = from; point < to; point++)
        {
            final int c = assignment[point - from];
            counts[c] += 1;
            final float rate = (float)(1 / counts[c]);
            final int centre = c * d;
            final int offset = point * d;
            for (int j = 0; j < d; j++)
            {
                centres[centre + j] += rate * (data[offset + j] - centres[centre + j]);
            }
            if (null != syncVector)
            {
                for (int j = 0; j < d; j++)
                {
                    syncVector[centre + j] += data[offset + j];
                }
                syncVector[k * d + c] += 1;
            }
        }
        return inertia;
    }

    /**
     * Fold the reduced sums and counts of all ranks into the common centres (the same on every rank).
     *
     * @param centres k * d common centres, updated in place.
     * @param counts  k common counts, updated in place.
     * @param reduced k * d sums then k counts, summed over all ranks.
     * @param d       dimension.
     */
    public static void merge(final float[] centres, final double[] counts, final float[] reduced, final int d)
    {
        final int k = counts.length;
        for (int c = 0; c < k; c++)
        {
            final double n = reduced[k * d + c];
            if (n > 0)
            {
                counts[c] += n;
                final double total = counts[c];
                for (int j = 0; j < d; j++)
                {
                    final int i = c * d + j;
                    centres[i] = (float)(centres[i] + (reduced[i] - n * centres[i]) / total);
                }
            }
        }
    }

    /**
     * @param centres k * d centres.
     * @param k       centres.
     * @param data    coordinates.
     * @param offset  of the point.
     * @param d       dimension.
     * @return the nearest centre (the lowest index on a tie).
     */
    public static int nearest(final float[] centres, final int k, final float[] data, final int offset, final int d)
    {
        int best = 0;
        double bestDistance = Double.POSITIVE_INFINITY;
        for (int c = 0; c < k; c++)
        {
            final double distance = squaredDistance(centres, c * d, data, offset, d);
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = c;
            }
        }
        return best;
    }

    /**
     * @return the squared Euclidean distance between the two d-vectors.
     */
    static double squaredDistance(final float[] a, final int aOffset, final float[] b, final int bOffset, final int d)
    {
        double sum = 0;
        for (int j = 0; j < d; j++)
        {
            final double diff = a[aOffset + j] - b[bOffset + j];
            sum += diff * diff;
        }
        return sum;
    }

    /**
     * @param centres k * d centres.
     * @param k       centres.
     * @param points  to score, at least one.
     * @return mean squared distance of a point to its nearest centre.
     */
    public static double meanInertia(final float[] centres, final int k, final DensePoints points)
    {
        final int d = points.dimension();
        double sum = 0;
        for (int point = 0; point < points.count(); point++)
        {
            final int offset = point * d;
            sum += squaredDistance(centres, nearest(centres, k, points.data(), offset, d) * d, points.data(), offset, d);
        }
        return sum / points.count();
    }

    /**
     * Greedy k-means++ seeding (Arthur and Vassilvitskii): the first centre a random point, each next one the best
     * of a few points drawn with probability proportional to their squared distance to the nearest centre chosen
     * so far.
     *
     * @param points to choose from, at least k.
     * @param k      centres wanted.
     * @param seed   of the draws.
     * @return k * d centres.
     */
    public static float[] kMeansPlusPlus(final DensePoints points, final int k, final long seed)
    {
        final int n = points.count();
        final int d = points.dimension();
        if (k < 1 || n < k)
        {
            throw new IllegalArgumentException("k-means++ needs 1 <= k <= points; got k " + k + " and " + n +
                " points");
        }
        final float[] data = points.data();
        final SplittableRandom random = new SplittableRandom(seed);
        final float[] centres = new float[k * d];
        final double[] nearest = new double[n];
        System.arraycopy(data, random.nextInt(n) * d, centres, 0, d);
        double total = 0;
        for (int point = 0; point < n; point++)
        {
            nearest[point] = squaredDistance(centres, 0, data, point * d, d);
            total += nearest[point];
        }
        // greedy k-means++ (as in scikit-learn): draw 2 + ln k candidates per centre, keep the one that lowers
        // the total squared distance most; plain k-means++ often puts two centres in one well separated blob
        final int trials = 2 + (int)Math.log(k);
        for (int c = 1; c < k; c++)
        {
            int best = -1;
            double bestTotal = Double.POSITIVE_INFINITY;
            for (int trial = 0; trial < trials; trial++)
            {
                int candidate = random.nextInt(n); // every point sits on a chosen centre: any will do
                if (total > 0)
                {
                    double target = random.nextDouble() * total;
                    candidate = n - 1;
                    for (int point = 0; point < n; point++)
                    {
                        target -= nearest[point];
                        if (target < 0)
                        {
                            candidate = point;
                            break;
                        }
                    }
                }
                double candidateTotal = 0;
                for (int point = 0; point < n; point++)
                {
                    candidateTotal += Math.min(nearest[point],
                        squaredDistance(data, candidate * d, data, point * d, d));
                }
                if (candidateTotal < bestTotal)
                {
                    bestTotal = candidateTotal;
                    best = candidate;
                }
            }
            System.arraycopy(data, best * d, centres, c * d, d);
            total = 0;
            for (int point = 0; point < n; point++)
            {
                nearest[point] = Math.min(nearest[point], squaredDistance(centres, c * d, data, point * d, d));
                total += nearest[point];
            }
        }
        return centres;
    }
}

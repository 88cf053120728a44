package io.ringsync.examples;

import java.util.SplittableRandom;

/**
 * Clustered points for the k-means demo, generated where they are used: {@code clusters} centres drawn
 * uniformly in a box, each point a centre picked uniformly plus Gaussian noise of standard deviation
 * {@code spread} in every coordinate. Rank r's points come from its own random stream
 * ({@link Seeds#stream}(seed, r)), the holdout from another, the centres from the seed only.
 */
public final class GaussianBlobs
{
    private static final long CENTRES_STREAM = -3;

    private final long seed;
    private final int dimension;
    private final int clusters;
    private final double spread;
    private final float[] centres;

    /**
     * @param seed      of everything generated.
     * @param dimension of the points.
     * @param clusters  true clusters.
     * @param spread    standard deviation around a centre.
     * @param box       centres lie in [-box, box] in every coordinate.
     */
    public GaussianBlobs(final long seed, final int dimension, final int clusters, final double spread, final double box)
    {
        if (dimension < 1 || clusters < 1 || !(spread >= 0) || !(box > 0))
        {
            throw new IllegalArgumentException("need dimension, clusters >= 1, spread >= 0, box > 0; got dimension " +
                dimension + ", clusters " + clusters + ", spread " + spread + ", box " + box);
        }
        this.seed = seed;
        this.dimension = dimension;
        this.clusters = clusters;
        this.spread = spread;
        centres = new float[clusters * dimension];
        final SplittableRandom random = new SplittableRandom(Seeds.stream(seed, CENTRES_STREAM));
        for (int i = 0; i < centres.length; i++)
        {
            centres[i] = (float)((random.nextDouble() * 2 - 1) * box);
        }
    }

    /**
     * @param rank   whose shard.
     * @param points its length.
     * @return rank's points.
     */
    public DensePoints shard(final int rank, final int points)
    {
        if (rank < 0)
        {
            throw new IllegalArgumentException("rank must be >= 0, got " + rank);
        }
        return generate(Seeds.stream(seed, rank), points);
    }

    /**
     * @param points its length.
     * @return the holdout set, the same on every rank.
     */
    public DensePoints holdout(final int points)
    {
        return generate(Seeds.stream(seed, Seeds.HOLDOUT_STREAM), points);
    }

    /**
     * @return the true centres, cluster after cluster (a copy).
     */
    public float[] centres()
    {
        return centres.clone();
    }

    /**
     * @return the expected squared distance of a point to its true centre: dimension * spread^2.
     */
    public double noiseInertia()
    {
        return dimension * spread * spread;
    }

    private DensePoints generate(final long streamSeed, final int points)
    {
        if (points < 0)
        {
            throw new IllegalArgumentException("points must be >= 0, got " + points);
        }
        final SplittableRandom random = new SplittableRandom(streamSeed);
        final float[] data = new float[Math.multiplyExact(points, dimension)];
        for (int point = 0; point < points; point++)
        {
            final int cluster = random.nextInt(clusters);
            for (int j = 0; j < dimension; j++)
            {
                data[point * dimension + j] = (float)(centres[cluster * dimension + j] + spread * random.nextGaussian());
            }
        }
        return new DensePoints(data, dimension, points);
    }
}

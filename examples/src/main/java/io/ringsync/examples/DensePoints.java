package io.ringsync.examples;

/**
 * Points of one dimension, stored one after the other in a flat float array: point i is
 * {@code data[i * dimension .. (i + 1) * dimension)}.
 */
public final class DensePoints
{
    private final float[] data;
    private final int dimension;
    private final int count;

    /**
     * @param data      the coordinates, at least count * dimension of them.
     * @param dimension of every point, >= 1.
     * @param count     points.
     */
    public DensePoints(final float[] data, final int dimension, final int count)
    {
        if (dimension < 1 || count < 0 || (long)dimension * count > data.length)
        {
            throw new IllegalArgumentException(count + " points of dimension " + dimension + " do not fit " +
                data.length + " floats");
        }
        this.data = data;
        this.dimension = dimension;
        this.count = count;
    }

    /**
     * @return the coordinates (read only).
     */
    public float[] data()
    {
        return data;
    }

    /**
     * @return of every point.
     */
    public int dimension()
    {
        return dimension;
    }

    /**
     * @return points held.
     */
    public int count()
    {
        return count;
    }

    /**
     * @param point  which.
     * @param coordinate which.
     * @return that coordinate.
     */
    public float get(final int point, final int coordinate)
    {
        return data[point * dimension + coordinate];
    }

    /**
     * @param every group length, >= 2.
     * @return {training, holdout}: every {@code every}-th point (the last of each group) is held out.
     */
    public DensePoints[] splitEvery(final int every)
    {
        if (every < 2)
        {
            throw new IllegalArgumentException("holdout every must be >= 2, got " + every);
        }
        final int held = count / every;
        final float[] train = new float[(count - held) * dimension];
        final float[] holdout = new float[held * dimension];
        int t = 0;
        int h = 0;
        for (int point = 0; point < count; point++)
        {
            if (point % every == every - 1)
            {
                System.arraycopy(data, point * dimension, holdout, h, dimension);
                h += dimension;
            }
            else
            {
                System.arraycopy(data, point * dimension, train, t, dimension);
                t += dimension;
            }
        }
        return new DensePoints[]{ new DensePoints(train, dimension, count - held), new DensePoints(holdout, dimension,
            held) };
    }
}

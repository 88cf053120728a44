package io.ringsync.examples;

import java.util.Arrays;

/**
 * Labelled sparse examples in compressed-row form: example {@code i} has features
 * {@code index[start(i) .. start(i + 1))} with values {@code value[...]}, a label 0 or 1 and an importance weight.
 * One flat array per field keeps a shard of a million examples in a few arrays the garbage collector never has
 * to walk, and makes a pass over the data a pass over memory in order.
 */
public final class SparseShard
{
    private final int[] rowStart;
    private final int[] index;
    private final float[] value;
    private final float[] label;
    private final float[] weight;
    private final int size;

    private SparseShard(
        final int[] rowStart, final int[] index, final float[] value, final float[] label, final float[] weight,
        final int size)
    {
        this.rowStart = rowStart;
        this.index = index;
        this.value = value;
        this.label = label;
        this.weight = weight;
        this.size = size;
    }

    /**
     * @return examples held.
     */
    public int size()
    {
        return size;
    }

    /**
     * @return features held, over all examples.
     */
    public long nonZeros()
    {
        return rowStart[size];
    }

    /**
     * @param row example.
     * @return position of its first feature in {@link #indices()} and {@link #values()}.
     */
    public int start(final int row)
    {
        return rowStart[row];
    }

    /**
     * @param row example.
     * @return position after its last feature.
     */
    public int end(final int row)
    {
        return rowStart[row + 1];
    }

    /**
     * @return feature indices of all examples (read only).
     */
    public int[] indices()
    {
        return index;
    }

    /**
     * @return feature values of all examples (read only).
     */
    public float[] values()
    {
        return value;
    }

    /**
     * @param row example.
     * @return 0 or 1.
     */
    public float label(final int row)
    {
        return label[row];
    }

    /**
     * @param row example.
     * @return its importance weight (1 unless the data said otherwise).
     */
    public float weight(final int row)
    {
        return weight[row];
    }

    /**
     * @param from first example.
     * @param to   after the last.
     * @return a shard holding copies of examples {@code [from, to)}.
     */
    public SparseShard slice(final int from, final int to)
    {
        if (from < 0 || to > size || from > to)
        {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of " + size + " examples");
        }
        final Builder builder = new Builder(to - from, rowStart[to] - rowStart[from]);
        for (int row = from; row < to; row++)
        {
            builder.add(this, row);
        }
        return builder.build();
    }

    /**
     * Split off a holdout: every {@code every}-th example (the last of each group) goes to the second shard.
     *
     * @param every group length, >= 2.
     * @return {training, holdout}.
     */
    public SparseShard[] splitEvery(final int every)
    {
        if (every < 2)
        {
            throw new IllegalArgumentException("holdout every must be >= 2, got " + every);
        }
        final Builder train = new Builder(size, (int)nonZeros());
        final Builder holdout = new Builder(size / every + 1, (int)(nonZeros() / every + 16));
        for (int row = 0; row < size; row++)
        {
            (row % every == every - 1 ? holdout : train).add(this, row);
        }
        return new SparseShard[]{ train.build(), holdout.build() };
    }

    /**
     * Accumulates examples; arrays grow by half when full.
     */
    public static final class Builder
    {
        private int[] rowStart;
        private int[] index;
        private float[] value;
        private float[] label;
        private float[] weight;
        private int size;
        private int nonZeros;

        /**
         * @param expectedRows     a guess of the examples to come.
         * @param expectedNonZeros a guess of their features.
         */
        public Builder(final int expectedRows, final int expectedNonZeros)
        {
            final int rows = Math.max(16, expectedRows);
            rowStart = new int[rows + 1];
            label = new float[rows];
            weight = new float[rows];
            index = new int[Math.max(16, expectedNonZeros)];
            value = new float[index.length];
        }

        /**
         * Add one feature to the example being built.
         *
         * @param featureIndex in [0, dimension).
         * @param featureValue its value.
         * @return this.
         */
        public Builder feature(final int featureIndex, final float featureValue)
        {
            if (nonZeros == index.length)
            {
                final int capacity = grow(index.length);
                index = Arrays.copyOf(index, capacity);
                value = Arrays.copyOf(value, capacity);
            }
            index[nonZeros] = featureIndex;
            value[nonZeros] = featureValue;
            nonZeros++;
            return this;
        }

        /**
         * @return features added to the example being built so far.
         */
        public int pendingFeatures()
        {
            return nonZeros - rowStart[size];
        }

        /**
         * @param from   first pending feature to scale (a position counted from the example's start).
         * @param factor to multiply values by.
         */
        public void scalePending(final int from, final float factor)
        {
            for (int i = rowStart[size] + from; i < nonZeros; i++)
            {
                value[i] *= factor;
            }
        }

        /**
         * Forget the features of the example being built.
         */
        public void dropPending()
        {
            nonZeros = rowStart[size];
        }

        /**
         * Close the example being built.
         *
         * @param exampleLabel  0 or 1.
         * @param exampleWeight importance, finite and >= 0.
         * @return this.
         */
        public Builder endExample(final float exampleLabel, final float exampleWeight)
        {
            if (size + 1 == rowStart.length)
            {
                final int capacity = grow(rowStart.length);
                rowStart = Arrays.copyOf(rowStart, capacity);
                label = Arrays.copyOf(label, capacity - 1);
                weight = Arrays.copyOf(weight, capacity - 1);
            }
            label[size] = exampleLabel;
            weight[size] = exampleWeight;
            size++;
            rowStart[size] = nonZeros;
            return this;
        }

        /**
         * Copy one example of another shard.
         *
         * @param shard to copy from.
         * @param row   its example.
         * @return this.
         */
        public Builder add(final SparseShard shard, final int row)
        {
            for (int i = shard.start(row), end = shard.end(row); i < end; i++)
            {
                feature(shard.index[i], shard.value[i]);
            }
            return endExample(shard.label[row], shard.weight[row]);
        }

        /**
         * @return examples closed so far.
         */
        public int size()
        {
            return size;
        }

        /**
         * @return the shard (the builder must not be used afterwards).
         */
        public SparseShard build()
        {
            return new SparseShard(rowStart, index, value, label, weight, size);
        }

        private static int grow(final int length)
        {
            final long grown = length + (length >> 1) + 16L;
            if (grown > Integer.MAX_VALUE - 8)
            {
                throw new IllegalStateException("too many examples or features for one shard: " + length);
            }
            return (int)grown;
        }
    }
}

package io.ringsync.examples;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Text-like binary classification data, generated where it is used: documents are bags of tokens drawn from a
 * Zipf law over a vocabulary (a few tokens everywhere, a long tail of rare ones, like words), hashed into the
 * model's dimension, term counts scaled to unit length. A hidden "true" model, one Gaussian weight per
 * feature, labels each document by the sign of its score, and a fraction of the labels is then flipped, so no
 * model can be right more often than {@code 1 - labelNoise}.
 * <p>
 * Rank r's shard comes from its own random stream ({@link Seeds#stream}(seed, r)): ranks generate their own
 * data, nothing is sent, and shard r is the same whatever the number of ranks. The holdout set has its own
 * stream, so every rank can generate the same one. The hidden model depends on the seed only.
 */
public final class SyntheticText
{
    private final long seed;
    private final int dimension;
    private final int vocabulary;
    private final int minTokens;
    private final int maxTokens;
    private final double labelNoise;
    private final double[] zipfCdf;
    private final int[] guide;
    private double[] trueWeights;

    /**
     * @param seed         of everything generated.
     * @param dimension    of the model: features are token hashes modulo this.
     * @param vocabulary   distinct tokens.
     * @param zipfExponent of the token distribution (about 1 for words).
     * @param minTokens    shortest document.
     * @param maxTokens    longest document.
     * @param labelNoise   fraction of labels flipped, in [0, 0.5).
     */
    public SyntheticText(
        final long seed, final int dimension, final int vocabulary, final double zipfExponent, final int minTokens,
        final int maxTokens, final double labelNoise)
    {
        if (dimension < 1 || vocabulary < 1 || minTokens < 1 || maxTokens < minTokens ||
            !(zipfExponent > 0) || !(labelNoise >= 0 && labelNoise < 0.5))
        {
            throw new IllegalArgumentException("need dimension, vocabulary >= 1, 1 <= minTokens <= maxTokens, " +
                "zipfExponent > 0, 0 <= labelNoise < 0.5; got dimension " + dimension + ", vocabulary " + vocabulary +
                ", tokens " + minTokens + ".." + maxTokens + ", zipfExponent " + zipfExponent + ", labelNoise " +
                labelNoise);
        }
        this.seed = seed;
        this.dimension = dimension;
        this.vocabulary = vocabulary;
        this.minTokens = minTokens;
        this.maxTokens = maxTokens;
        this.labelNoise = labelNoise;
        zipfCdf = new double[vocabulary];
        double sum = 0;
        for (int token = 0; token < vocabulary; token++)
        {
            sum += Math.pow(token + 1, -zipfExponent);
            zipfCdf[token] = sum;
        }
        for (int token = 0; token < vocabulary; token++)
        {
            zipfCdf[token] /= sum;
        }
        // a guide table (Chen and Asau): guide[b] is the first token whose CDF reaches b / length, so the
        // search for a uniform u starts at guide[(int)(u * length)] and takes one or two steps, not log2(V)
        guide = new int[2 * vocabulary];
        int token = 0;
        for (int b = 0; b < guide.length; b++)
        {
            final double floor = b / (double)guide.length;
            while (token < vocabulary - 1 && zipfCdf[token] < floor)
            {
                token++;
            }
            guide[b] = token;
        }
    }

    /**
     * @param rank     whose shard.
     * @param examples its length.
     * @return rank's shard.
     */
    public SparseShard shard(final int rank, final int examples)
    {
        if (rank < 0)
        {
            throw new IllegalArgumentException("rank must be >= 0, got " + rank);
        }
        return generate(Seeds.stream(seed, rank), examples);
    }

    /**
     * @param examples its length.
     * @return the holdout set, the same on every rank.
     */
    public SparseShard holdout(final int examples)
    {
        return generate(Seeds.stream(seed, Seeds.HOLDOUT_STREAM), examples);
    }

    /**
     * @param token a token, 0 the most frequent.
     * @return its feature: a hash of it, modulo the dimension.
     */
    public int featureOf(final int token)
    {
        return (int)Long.remainderUnsigned(Seeds.mix(seed ^ (0xA24BAED4963EE407L * (token + 1L))), dimension);
    }

    /**
     * @param feature in [0, dimension).
     * @return the hidden model's weight of that feature: standard normal, less the mean weight of a token drawn
     *     from the Zipf law (otherwise the few most frequent tokens would make most documents one class).
     */
    public double trueWeight(final int feature)
    {
        return trueWeights()[feature];
    }

    private static double gaussian(final long seed, final int feature)
    {
        // Box-Muller on two uniforms hashed from (seed, feature): no random generator to set up per feature
        final long bits = Seeds.mix(Seeds.mix(seed ^ 0x5851F42D4C957F2DL) + feature);
        final double u1 = ((bits >>> 40) + 1) / (double)(1L << 24);
        final double u2 = (bits & 0xFFFFFF) / (double)(1L << 24);
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    private SparseShard generate(final long streamSeed, final int examples)
    {
        if (examples < 0)
        {
            throw new IllegalArgumentException("examples must be >= 0, got " + examples);
        }
        final SplittableRandom random = new SplittableRandom(streamSeed);
        final double[] trueWeights = trueWeights();
        final SparseShard.Builder builder = new SparseShard.Builder(examples, examples * (minTokens + maxTokens) / 2);
        final int[] features = new int[maxTokens];
        for (int example = 0; example < examples; example++)
        {
            final int length = minTokens + random.nextInt(maxTokens - minTokens + 1);
            for (int i = 0; i < length; i++)
            {
                features[i] = featureOf(token(random.nextDouble()));
            }
            // one feature per distinct hash, valued by its count; then unit length, as tf vectors usually are
            Arrays.sort(features, 0, length);
            double squares = 0;
            double score = 0;
            for (int i = 0; i < length; )
            {
                int j = i + 1;
                while (j < length && features[j] == features[i])
                {
                    j++;
                }
                final int count = j - i;
                builder.feature(features[i], count);
                squares += (double)count * count;
                score += trueWeights[features[i]] * count;
                i = j;
            }
            final float scale = (float)(1 / Math.sqrt(squares));
            builder.scalePending(0, scale);
            final boolean positive = score > 0;
            final boolean flip = random.nextDouble() < labelNoise;
            builder.endExample(positive != flip ? 1 : 0, 1);
        }
        return builder.build();
    }

    private double[] trueWeights()
    {
        if (null == trueWeights)
        {
            final double[] weights = new double[dimension];
            for (int feature = 0; feature < dimension; feature++)
            {
                weights[feature] = gaussian(seed, feature);
            }
            double mean = 0;
            for (int token = 0; token < vocabulary; token++)
            {
                mean += (zipfCdf[token] - (token == 0 ? 0 : zipfCdf[token - 1])) * weights[featureOf(token)];
            }
            for (int feature = 0; feature < dimension; feature++)
            {
                weights[feature] -= mean;
            }
            trueWeights = weights;
        }
        return trueWeights;
    }

    /**
     * @param uniform in [0, 1).
     * @return the first token whose CDF exceeds it.
     */
    int token(final double uniform)
    {
        int token = guide[(int)(uniform * guide.length)];
        while (token < vocabulary - 1 && zipfCdf[token] <= uniform)
        {
            token++;
        }
        return token;
    }

    /**
     * @return the dimension features are hashed into.
     */
    public int dimension()
    {
        return dimension;
    }

    /**
     * @return the fraction of labels flipped.
     */
    public double labelNoise()
    {
        return labelNoise;
    }
}

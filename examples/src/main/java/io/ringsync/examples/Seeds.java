package io.ringsync.examples;

/**
 * Independent, reproducible random streams from one seed: rank r's data comes from stream r, the holdout from
 * its own stream, the hidden model from another, so a shard never depends on how many ranks there are or on
 * what the others generate.
 */
final class Seeds
{
    /**
     * Stream of the holdout set, shared by every rank.
     */
    static final long HOLDOUT_STREAM = -1;

    /**
     * Stream of a demo's common initial model (drawn by rank 0 only, then broadcast).
     */
    static final long INIT_STREAM = -2;

    private Seeds()
    {
    }

    /**
     * @param seed   the job's seed.
     * @param stream a rank, or one of the stream constants.
     * @return the seed of that stream.
     */
    static long stream(final long seed, final long stream)
    {
        return mix(seed + 0x9E3779B97F4A7C15L * (stream + 1));
    }

    /**
     * MurmurHash3's 64-bit finaliser: every input bit flips about half the output bits.
     *
     * @param value to mix.
     * @return mixed bits.
     */
    static long mix(final long value)
    {
        long h = value;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }

    /**
     * A hash of the model's bits: any difference in any bit changes it.
     *
     * @param model to hash.
     * @return 64 bits.
     */
    static long bits(final float[] model)
    {
        long h = 0xCBF29CE484222325L;
        for (final float value : model)
        {
            h ^= Float.floatToRawIntBits(value) & 0xFFFFFFFFL;
            h *= 0x100000001B3L;
        }
        return mix(h);
    }
}

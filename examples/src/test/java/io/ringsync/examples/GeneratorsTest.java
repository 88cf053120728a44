package io.ringsync.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class GeneratorsTest
{
    private static SyntheticText text(final long seed)
    {
        return new SyntheticText(seed, 1 << 12, 2_000, 1.0, 5, 20, 0.1);
    }

    @Test
    void syntheticTextIsDeterministicPerSeedAndRank()
    {
        final SparseShard a = text(7).shard(1, 500);
        final SparseShard b = text(7).shard(1, 500);
        assertEquals(a.nonZeros(), b.nonZeros());
        assertArrayEquals(Arrays.copyOf(a.indices(), (int)a.nonZeros()), Arrays.copyOf(b.indices(), (int)b.nonZeros()));
        assertArrayEquals(Arrays.copyOf(a.values(), (int)a.nonZeros()), Arrays.copyOf(b.values(), (int)b.nonZeros()));
        for (int row = 0; row < a.size(); row++)
        {
            assertEquals(a.label(row), b.label(row));
        }
        assertNotEquals(signatures(text(7).shard(1, 200)), signatures(text(8).shard(1, 200)));
    }

    @Test
    void rankShardsAndHoldoutAreDisjoint()
    {
        final SyntheticText text = text(42);
        final Set<String> seen = new HashSet<>();
        int total = 0;
        for (int rank = 0; rank < 3; rank++)
        {
            final Set<String> shard = signatures(text.shard(rank, 2_000));
            total += shard.size();
            seen.addAll(shard);
        }
        assertEquals(total, seen.size(), "an example appears in two ranks' shards");
        for (final String example : signatures(text.holdout(1_000)))
        {
            assertFalse(seen.contains(example), "a holdout example is also a training example");
        }
    }

    @Test
    void syntheticDocumentsHaveUnitLengthFeaturesInRangeAndBothLabels()
    {
        final SparseShard shard = text(3).shard(0, 2_000);
        int positives = 0;
        for (int row = 0; row < shard.size(); row++)
        {
            double squares = 0;
            for (int i = shard.start(row); i < shard.end(row); i++)
            {
                assertTrue(shard.indices()[i] >= 0 && shard.indices()[i] < 1 << 12);
                squares += shard.values()[i] * shard.values()[i];
            }
            assertEquals(1.0, squares, 1e-5);
            positives += (int)shard.label(row);
        }
        assertTrue(positives > 600 && positives < 1_400, "labels are far from balanced: " + positives);
    }

    @Test
    void zipfTokensFollowTheLaw()
    {
        final SyntheticText text = text(1);
        assertEquals(0, text.token(0.0));
        assertEquals(1_999, text.token(Math.nextDown(1.0)));
        // with exponent 1 over 2000 tokens, token 0 has probability 1 / H(2000) = 0.1216
        assertEquals(0, text.token(0.12));
        assertEquals(1, text.token(0.125));
    }

    @Test
    void gaussianBlobsAreDeterministicDisjointAndAroundTheirCentres()
    {
        final GaussianBlobs blobs = new GaussianBlobs(5, 4, 3, 0.5, 10);
        assertArrayEquals(blobs.shard(2, 300).data(), new GaussianBlobs(5, 4, 3, 0.5, 10).shard(2, 300).data());
        final Set<String> points = new HashSet<>();
        for (int rank = 0; rank < 3; rank++)
        {
            final DensePoints shard = blobs.shard(rank, 1_000);
            for (int p = 0; p < shard.count(); p++)
            {
                assertTrue(points.add(Arrays.toString(Arrays.copyOfRange(shard.data(), p * 4, p * 4 + 4))),
                    "a point appears twice");
            }
        }
        final DensePoints holdout = blobs.holdout(3_000);
        final double inertia = MiniBatchKMeans.meanInertia(blobs.centres(), 3, holdout);
        assertEquals(blobs.noiseInertia(), inertia, 0.1 * blobs.noiseInertia());
        assertThrows(IllegalArgumentException.class, () -> new GaussianBlobs(1, 0, 3, 1, 1));
    }

    private static Set<String> signatures(final SparseShard shard)
    {
        final Set<String> signatures = new HashSet<>();
        for (int row = 0; row < shard.size(); row++)
        {
            signatures.add(shard.label(row) + Arrays.toString(Arrays.copyOfRange(shard.indices(), shard.start(row),
                shard.end(row))) + Arrays.toString(Arrays.copyOfRange(shard.values(), shard.start(row), shard.end(row))));
        }
        return signatures;
    }
}

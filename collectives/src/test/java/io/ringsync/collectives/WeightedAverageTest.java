package io.ringsync.collectives;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Weighted average: sum(w_i v_i) / sum(w_i), checked bit for bit against an independent computation that follows
 * the order of the path the size takes: the ring's (each segment accumulated from its first rank on, its weight
 * sum in the same order) or, up to the small-vector switch, rank order 0 .. n-1.
 */
@Timeout(120)
class WeightedAverageTest
{
    static Stream<Arguments> cases()
    {
        final List<Arguments> cases = new ArrayList<>();
        for (int n = 1; n <= 5; n++)
        {
            for (final int count : new int[]{0, 1, 7, 1009, Configuration.SMALL_MAX_BYTES_DEFAULT / 4,
                Configuration.SMALL_MAX_BYTES_DEFAULT / 4 + 1, 70_001})
            {
                cases.add(Arguments.of(n, count));
            }
        }
        return cases.stream();
    }

    /**
     * Uneven weights, one rank (when there are 3 or more) with weight 0 and NaN data that must not leak in.
     */
    static double weight(final int rank, final int n)
    {
        if (n >= 3 && rank == 1)
        {
            return 0;
        }
        return rank == 0 ? 0.5 : 1_000.0 * rank + 3;
    }

    static float[] input(final int rank, final int n, final int count)
    {
        final float[] v = new float[count];
        final SplittableRandom random = new SplittableRandom(31L * rank + count);
        for (int i = 0; i < count; i++)
        {
            v[i] = weight(rank, n) == 0 ? Float.NaN : (float)random.nextDouble(-4, 4);
        }
        return v;
    }

    static float[] reference(final int n, final int count)
    {
        final float[][] scaled = new float[n][];
        for (int r = 0; r < n; r++)
        {
            scaled[r] = input(r, n, count);
            final float w = (float)weight(r, n);
            for (int i = 0; i < count; i++)
            {
                scaled[r][i] = w == 0 ? 0f : scaled[r][i] * w;
            }
        }
        if (n == 1)
        {
            return input(0, 1, count);
        }
        final float[] result = new float[count];
        if ((long)count * 4 <= Configuration.SMALL_MAX_BYTES_DEFAULT)
        {
            // the small-vector path: every rank folds all contributions in rank order 0 .. n-1
            double weightSum = 0;
            for (int r = 0; r < n; r++)
            {
                weightSum += weight(r, n);
            }
            for (int i = 0; i < count; i++)
            {
                float acc = scaled[0][i];
                for (int r = 1; r < n; r++)
                {
                    acc += scaled[r][i];
                }
                result[i] = acc / (float)weightSum;
            }
            return result;
        }
        final Partition partition = new Partition().reset(count, n, 1);
        for (int segment = 0; segment < n; segment++)
        {
            double weightSum = 0;
            for (int hop = 0; hop < n; hop++)
            {
                weightSum += weight((segment + hop) % n, n);
            }
            final int start = partition.segmentStart(segment);
            for (int i = start; i < start + partition.segmentLength(segment); i++)
            {
                float acc = scaled[segment][i];
                for (int hop = 1; hop < n; hop++)
                {
                    acc += scaled[(segment + hop) % n][i];
                }
                result[i] = acc / (float)weightSum;
            }
        }
        return result;
    }

    @ParameterizedTest(name = "{0} ranks, {1} elements")
    @MethodSource("cases")
    void floatsMatchTheRingOrderReference(final int n, final int count) throws Exception
    {
        final List<float[]> results = LocalCluster.runAll(n, comm ->
        {
            final float[] v = input(comm.rank(), n, count);
            final double total = comm.weightedAverage(v, weight(comm.rank(), n));
            double expectedTotal = 0;
            for (int r = 0; r < n; r++)
            {
                expectedTotal += weight(r, n);
            }
            assertEquals(expectedTotal, total, "weight sum on rank " + comm.rank());
            return v;
        });
        final float[] expected = reference(n, count);
        for (int r = 0; r < n; r++)
        {
            assertArrayEquals(expected, results.get(r), "rank " + r);
        }
    }

    @Test
    void doublesAreTheWeightedMean() throws Exception
    {
        final int n = 3;
        final List<double[]> results = LocalCluster.runAll(n, comm ->
        {
            final double[] v = {comm.rank(), 10.0 * comm.rank(), -1};
            comm.weightedAverage(v, comm.rank() + 1);
            return v;
        });
        // weights 1, 2, 3: (0*1 + 1*2 + 2*3) / 6 = 8/6; (0 + 20 + 60) / 6; -1
        for (final double[] v : results)
        {
            assertEquals(8.0 / 6.0, v[0], 1e-15);
            assertEquals(80.0 / 6.0, v[1], 1e-13);
            assertEquals(-1.0, v[2], 1e-15);
        }
        for (int r = 1; r < n; r++)
        {
            assertArrayEquals(results.get(0), results.get(r), "bitwise equal on every rank");
        }
    }

    @Test
    void allWeightsZeroFailsOnEveryRankAndTheCommunicatorStaysUsable() throws Exception
    {
        final List<RankThreads.Outcome<float[]>> outcomes = LocalCluster.run(3, comm ->
        {
            final float[] v = {1, 2, 3};
            final IllegalArgumentException ex = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> comm.weightedAverage(v, 0));
            assertTrue(ex.getMessage().contains("every rank passed weight 0"), ex.getMessage());
            final float[] after = {comm.rank(), 1, 2};
            comm.allReduce(after, ReduceOp.SUM);
            return after;
        });
        for (final RankThreads.Outcome<float[]> outcome : outcomes)
        {
            assertNull(outcome.error, () -> "rank " + outcome.rank + ": " + outcome.error);
            assertArrayEquals(new float[]{3, 3, 6}, outcome.value);
        }
    }

    @Test
    void aBadWeightFailsEveryRankAtOnce() throws Exception
    {
        for (final double bad : new double[]{-1, Double.NaN, Double.POSITIVE_INFINITY})
        {
            final List<RankThreads.Outcome<String>> outcomes = LocalCluster.run(3, comm ->
            {
                final float[] v = {1, 2, 3};
                try
                {
                    comm.weightedAverage(v, comm.rank() == 2 ? bad : 1);
                    return null;
                }
                catch (final IllegalArgumentException ex)
                {
                    // still usable afterwards
                    comm.barrier();
                    return ex.getMessage();
                }
            });
            for (final RankThreads.Outcome<String> outcome : outcomes)
            {
                assertNull(outcome.error, () -> "rank " + outcome.rank + ": " + outcome.error);
                assertNotNull(outcome.value, "rank " + outcome.rank + " did not fail for weight " + bad);
                assertTrue(outcome.rank == 2 ? outcome.value.contains("got " + bad) :
                    outcome.value.contains("another rank passed an invalid weight"), outcome.value);
            }
        }
    }

    @Test
    void mismatchWithAPlainAverageIsReported() throws Exception
    {
        final List<RankThreads.Outcome<Void>> outcomes = LocalCluster.run(2, comm ->
        {
            final float[] v = new float[100];
            if (comm.rank() == 0)
            {
                comm.weightedAverage(v, 1);
            }
            else
            {
                comm.allReduce(v, ReduceOp.AVG);
            }
            return null;
        });
        for (final RankThreads.Outcome<Void> outcome : outcomes)
        {
            assertInstanceOf(RingsyncException.class, outcome.error, "rank " + outcome.rank);
            assertTrue(outcome.error.getMessage().contains("weightedAverage(100 x FLOAT32)"),
                outcome.error.getMessage());
        }
    }
}

package io.ringsync.collectives;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reduce-scatter leaves rank r's block reduced; allgather gives every rank every block. Inputs are small integers,
 * so sums are exact in any order and the expected values are plain arithmetic.
 */
@Timeout(120)
class ReduceScatterAllGatherTest
{
    static float value(final int rank, final int i)
    {
        return (i % 97) - 40 + 3 * rank;
    }

    @ParameterizedTest(name = "{0} ranks, blocks of {1}, {2}")
    @CsvSource({
        "1, 5, SUM", "2, 0, SUM", "2, 1, SUM", "2, 9000, MAX", "3, 1, MIN", "3, 1009, SUM", "4, 3, AVG",
        "5, 20000, SUM", "8, 7, MAX"})
    void reduceScatterLeavesEachRankItsBlock(final int n, final int blockCount, final ReduceOp op) throws Exception
    {
        final List<float[]> results = LocalCluster.runAll(n, comm ->
        {
            final float[] v = new float[n * blockCount + 3];
            for (int i = 0; i < v.length; i++)
            {
                v[i] = value(comm.rank(), i);
            }
            comm.reduceScatter(v, blockCount, op);
            return v;
        });
        for (int r = 0; r < n; r++)
        {
            final float[] v = results.get(r);
            for (int i = r * blockCount; i < (r + 1) * blockCount; i++)
            {
                float expected = value(0, i);
                for (int k = 1; k < n; k++)
                {
                    final float x = value(k, i);
                    expected = op == ReduceOp.MIN ? Math.min(expected, x) : op == ReduceOp.MAX ?
                        Math.max(expected, x) : expected + x;
                }
                if (op == ReduceOp.AVG)
                {
                    expected /= n;
                }
                assertEquals(expected, v[i], "rank " + r + " element " + i);
            }
            for (int i = n * blockCount; i < v.length; i++)
            {
                assertEquals(value(r, i), v[i], "rank " + r + ": elements past the blocks are not touched");
            }
        }
    }

    @ParameterizedTest(name = "{0} ranks, blocks of {1}")
    @CsvSource({"1, 4", "2, 0", "2, 1", "3, 1009", "4, 20000", "7, 3"})
    void allGatherGivesEveryoneEveryBlock(final int n, final int blockCount) throws Exception
    {
        final List<double[]> results = LocalCluster.runAll(n, comm ->
        {
            final double[] v = new double[n * blockCount];
            for (int i = comm.rank() * blockCount; i < (comm.rank() + 1) * blockCount; i++)
            {
                v[i] = comm.rank() * 1e6 + i + 0.25;
            }
            comm.allGather(v, blockCount);
            return v;
        });
        final double[] expected = new double[n * blockCount];
        for (int r = 0; r < n; r++)
        {
            for (int i = r * blockCount; i < (r + 1) * blockCount; i++)
            {
                expected[i] = r * 1e6 + i + 0.25;
            }
        }
        for (int r = 0; r < n; r++)
        {
            assertArrayEquals(expected, results.get(r), "rank " + r);
        }
    }

    @Test
    void reduceScatterThenAllGatherIsAnAllReduce() throws Exception
    {
        final int n = 3;
        final int blockCount = 5000;
        final List<float[]> results = LocalCluster.runAll(n, comm ->
        {
            final float[] v = new float[n * blockCount];
            final float[] w = new float[n * blockCount];
            for (int i = 0; i < v.length; i++)
            {
                v[i] = value(comm.rank(), i);
                w[i] = v[i];
            }
            comm.reduceScatter(v, blockCount, ReduceOp.SUM);
            comm.allGather(v, blockCount);
            comm.allReduce(w, ReduceOp.SUM);
            assertArrayEquals(w, v, "rank " + comm.rank());
            return v;
        });
        assertArrayEquals(results.get(0), results.get(2));
    }

    @Test
    void blocksThatDoNotFitAreRefusedAndMismatchedBlocksFailEveryRank() throws Exception
    {
        final List<RankThreads.Outcome<Void>> outcomes = LocalCluster.run(2, comm ->
        {
            assertThrows(IndexOutOfBoundsException.class, () -> comm.allGather(new float[5], 3));
            comm.allGather(new float[comm.rank() == 0 ? 8 : 10], comm.rank() == 0 ? 4 : 5);
            return null;
        });
        for (final RankThreads.Outcome<Void> outcome : outcomes)
        {
            assertInstanceOf(CollectiveMismatchException.class, outcome.error, "rank " + outcome.rank);
            assertTrue(outcome.error.getMessage().contains("allGather(8 x FLOAT32)"), outcome.error.getMessage());
        }
    }
}

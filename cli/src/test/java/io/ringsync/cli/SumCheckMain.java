package io.ringsync.cli;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.ReduceOp;

/**
 * A rank of the launcher's end-to-end test: allReduce SUM (and MAX) over float and double vectors of awkward
 * and large lengths, with small-integer values so the exact result is known, then prints
 * {@code RESULT ok hash=...} with a hash of every result's bits, or {@code RESULT FAILED ...} and exits 1.
 */
public final class SumCheckMain
{
    static final String RESULT = "RESULT ";

    private SumCheckMain()
    {
    }

    public static void main(final String[] args)
    {
        try (Communicator comm = Communicator.fromEnvironment())
        {
            final int n = comm.size();
            final int rank = comm.rank();
            final int chunkFloats = comm.chunkBytes() / 4;
            final int[] floatCounts = { 0, 1, n - 1, n, n + 1, 1009, n * chunkFloats + 1, 1 << 18, 1 << 22 };
            final int[] doubleCounts = { 0, 1, n - 1, 1009, 1 << 17 };
            long hash = 0xCBF29CE484222325L;
            for (final int count : floatCounts)
            {
                final float[] v = new float[count];
                for (int i = 0; i < count; i++)
                {
                    v[i] = (rank + 1) * (i % 7 + 1);
                }
                comm.allReduce(v, ReduceOp.SUM);
                for (int i = 0; i < count; i++)
                {
                    final float expected = n * (n + 1) / 2.0f * (i % 7 + 1);
                    if (v[i] != expected)
                    {
                        fail(rank, "float SUM of " + count + ": element " + i + " is " + v[i] + ", expected " + expected);
                    }
                    hash = (hash ^ Float.floatToRawIntBits(v[i])) * 0x100000001B3L;
                }
            }
            for (final int count : doubleCounts)
            {
                final double[] v = new double[count];
                for (int i = 0; i < count; i++)
                {
                    v[i] = (rank + 1) * (i % 5 + 1) + 0.5;
                }
                comm.allReduce(v, ReduceOp.SUM);
                for (int i = 0; i < count; i++)
                {
                    final double expected = n * (n + 1) / 2.0 * (i % 5 + 1) + 0.5 * n;
                    if (v[i] != expected)
                    {
                        fail(rank, "double SUM of " + count + ": element " + i + " is " + v[i] + ", expected " +
                            expected);
                    }
                }
            }
            // random values: no exact reference, but every rank must end with the same bits (the hash)
            final java.util.Random random = new java.util.Random(rank * 7919L + 1);
            final float[] avg = new float[300_007];
            for (int i = 0; i < avg.length; i++)
            {
                avg[i] = (float)random.nextGaussian();
            }
            comm.allReduce(avg, ReduceOp.AVG);
            for (final float x : avg)
            {
                if (!(Math.abs(x) < 10))
                {
                    fail(rank, "float AVG of Gaussians gave " + x);
                }
                hash = (hash ^ Float.floatToRawIntBits(x)) * 0x100000001B3L;
            }
            final float[] max = new float[1009];
            for (int i = 0; i < max.length; i++)
            {
                max[i] = (i + rank) % n;
            }
            comm.allReduce(max, ReduceOp.MAX);
            for (int i = 0; i < max.length; i++)
            {
                if (max[i] != n - 1)
                {
                    fail(rank, "float MAX: element " + i + " is " + max[i] + ", expected " + (n - 1));
                }
            }
            // weighted average of random values, rank 1 with weight 0 and NaN data: same bits everywhere
            final float[] weighted = new float[200_003];
            for (int i = 0; i < weighted.length; i++)
            {
                weighted[i] = rank == 1 ? Float.NaN : (float)random.nextGaussian();
            }
            final float[] weightedAsync = weighted.clone();
            final double weight = rank == 1 ? 0 : rank + 0.5;
            final double weightSum = comm.weightedAverage(weighted, weight);
            final io.ringsync.collectives.Request request = comm.weightedAverageAsync(weightedAsync, weight);
            request.await();
            double expectedSum = 0;
            for (int r = 0; r < n; r++)
            {
                expectedSum += r == 1 ? 0 : r + 0.5;
            }
            if (weightSum != expectedSum || request.weightSum() != expectedSum)
            {
                fail(rank, "weight sum " + weightSum + " / " + request.weightSum() + ", expected " + expectedSum);
            }
            for (int i = 0; i < weighted.length; i++)
            {
                if (Float.floatToRawIntBits(weighted[i]) != Float.floatToRawIntBits(weightedAsync[i]) ||
                    !(Math.abs(weighted[i]) < 10))
                {
                    fail(rank, "weighted average element " + i + ": " + weighted[i] + " blocking, " +
                        weightedAsync[i] + " async");
                }
                hash = (hash ^ Float.floatToRawIntBits(weighted[i])) * 0x100000001B3L;
            }
            // reduce-scatter then allgather of small integers is an exact SUM
            final int block = 10_007;
            final double[] blocks = new double[n * block];
            for (int i = 0; i < blocks.length; i++)
            {
                blocks[i] = (rank + 1) * (i % 11);
            }
            comm.reduceScatter(blocks, block, ReduceOp.SUM);
            comm.allGather(blocks, block);
            for (int i = 0; i < blocks.length; i++)
            {
                if (blocks[i] != n * (n + 1) / 2.0 * (i % 11))
                {
                    fail(rank, "reduceScatter + allGather element " + i + " is " + blocks[i]);
                }
            }
            checkRankOrder(comm);
            System.out.printf("%sok rank=%d hash=0x%016x%n", RESULT, rank, hash);
        }
    }

    /**
     * Vectors up to the small-vector switch are folded in rank order 0..n-1 on every rank: random inputs that
     * every rank can regenerate give an exact, bitwise reference, for float32 and float64 and every op, at the
     * switch and one element below it. Not in the hash: the switch, so the vectors, differ between transports in
     * a job of two ranks.
     */
    private static void checkRankOrder(final Communicator comm)
    {
        final int n = comm.size();
        final int rank = comm.rank();
        final int floatsAtSwitch = comm.smallMaxBytes() / 4;
        final int doublesAtSwitch = comm.smallMaxBytes() / 8;
        if (floatsAtSwitch == 0)
        {
            return;
        }
        for (final ReduceOp op : ReduceOp.values())
        {
            for (final int count : new int[]{ 1, n + 1, floatsAtSwitch - 1, floatsAtSwitch })
            {
                final float[] v = randomFloats(rank, count);
                comm.allReduce(v, op);
                final float[] expected = randomFloats(0, count);
                for (int k = 1; k < n; k++)
                {
                    final float[] x = randomFloats(k, count);
                    for (int i = 0; i < count; i++)
                    {
                        expected[i] = op == ReduceOp.MIN ? Math.min(expected[i], x[i]) :
                            op == ReduceOp.MAX ? Math.max(expected[i], x[i]) :
                            op == ReduceOp.AVG && k == n - 1 ? (expected[i] + x[i]) / n : expected[i] + x[i];
                    }
                }
                for (int i = 0; i < count; i++)
                {
                    if (Float.floatToRawIntBits(v[i]) != Float.floatToRawIntBits(expected[i]))
                    {
                        fail(rank, "float " + op + " of " + count + " in rank order: element " + i + " is " + v[i] +
                            ", expected " + expected[i]);
                    }
                }
            }
            for (final int count : new int[]{ 1, n - 1, doublesAtSwitch - 1, doublesAtSwitch })
            {
                final double[] v = randomDoubles(rank, count);
                comm.allReduce(v, op);
                final double[] expected = randomDoubles(0, count);
                for (int k = 1; k < n; k++)
                {
                    final double[] x = randomDoubles(k, count);
                    for (int i = 0; i < count; i++)
                    {
                        expected[i] = op == ReduceOp.MIN ? Math.min(expected[i], x[i]) :
                            op == ReduceOp.MAX ? Math.max(expected[i], x[i]) :
                            op == ReduceOp.AVG && k == n - 1 ? (expected[i] + x[i]) / n : expected[i] + x[i];
                    }
                }
                for (int i = 0; i < count; i++)
                {
                    if (Double.doubleToRawLongBits(v[i]) != Double.doubleToRawLongBits(expected[i]))
                    {
                        fail(rank, "double " + op + " of " + count + " in rank order: element " + i + " is " + v[i] +
                            ", expected " + expected[i]);
                    }
                }
            }
        }
    }

    private static float[] randomFloats(final int rank, final int count)
    {
        final java.util.Random random = new java.util.Random(4099L * rank + count);
        final float[] v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)(random.nextGaussian() * Math.pow(10, random.nextInt(6)));
        }
        return v;
    }

    private static double[] randomDoubles(final int rank, final int count)
    {
        final java.util.Random random = new java.util.Random(8191L * rank + count);
        final double[] v = new double[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = random.nextGaussian() * Math.pow(10, random.nextInt(12));
        }
        return v;
    }

    private static void fail(final int rank, final String what)
    {
        System.out.println(RESULT + "FAILED rank=" + rank + ": " + what);
        System.exit(1);
    }
}

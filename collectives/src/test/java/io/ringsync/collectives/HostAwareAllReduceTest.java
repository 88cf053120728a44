package io.ringsync.collectives;

import io.ringsync.transport.LocalTransport;
import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host-aware AllReduce, ranks as threads: the job's own links are in-JVM rings, and each simulated host is a
 * directory of shared memory of its own, so the topology probe finds the ranks given the same directory on one
 * host and the others elsewhere, and the host's group runs over real shm links. Values are small integers, so the
 * exact result is known whatever the order; every rank must hold the same bits.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HostAwareAllReduceTest
{
    private final File root = TestJobDirectory.fresh("host-aware");

    @AfterEach
    void removeDirectories()
    {
        IoUtil.delete(root, true);
    }

    /**
     * @param hostSizes ranks per simulated host, in rank order.
     * @return each rank's host.
     */
    private static int[] hosts(final int... hostSizes)
    {
        final int[] hostOf = new int[Arrays.stream(hostSizes).sum()];
        int rank = 0;
        for (int host = 0; host < hostSizes.length; host++)
        {
            for (int i = 0; i < hostSizes[host]; i++)
            {
                hostOf[rank++] = host;
            }
        }
        return hostOf;
    }

    private <T> List<RankThreads.Outcome<T>> run(
        final int[] hostOf, final Context template, final RankThreads.RankBody<T> body) throws Exception
    {
        final LocalTransport[] world = LocalTransport.createJob(hostOf.length, 1 << 18);
        return RankThreads.run(hostOf.length, 90_000, (rank) ->
        {
            final Communicator comm = Communicator.connect(world[rank], new Context()
                .timeoutNs(template.timeoutNs())
                .chunkBytes(template.chunkBytes())
                .jobId(42));
            comm.attachHierarchy(new File(root, "host-" + hostOf[rank]));
            return comm;
        }, body);
    }

    private static float[] floats(final int rank, final int count)
    {
        final float[] v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (rank + 1) * (i % 7 + 1) - 3;
        }
        return v;
    }

    @ParameterizedTest(name = "hosts {0}")
    @ValueSource(strings = { "2,2", "2,2,2", "3,3", "2,1", "1,3,2", "3" , "1,1,1" })
    void everyRankGetsTheExactResultAndTheSameBits(final String layout) throws Exception
    {
        final int[] hostOf = hosts(Arrays.stream(layout.split(",")).mapToInt(Integer::parseInt).toArray());
        final int n = hostOf.length;
        final int[] counts = { 0, 1, 5, 4099, 20_011, 300_007 };
        final List<List<Object>> results = RankThreads.values(run(hostOf, new Context()
            .timeoutNs(TimeUnit.SECONDS.toNanos(30)), comm ->
            {
                final boolean hierarchical = !layout.equals("3") && !layout.equals("1,1,1");
                assertEquals(hierarchical ? Path.HOST_AWARE : Path.RING, comm.allReducePath(20_011, DataType.FLOAT32),
                    layout);
                assertEquals(Path.SMALL, comm.allReducePath(16, DataType.FLOAT32));
                final List<Object> mine = new ArrayList<>();
                for (final int count : counts)
                {
                    for (final ReduceOp op : ReduceOp.values())
                    {
                        final float[] f = floats(comm.rank(), count);
                        comm.allReduce(f, op);
                        mine.add(f);
                        final double[] d = new double[count];
                        final float[] x = floats(comm.rank(), count);
                        for (int i = 0; i < count; i++)
                        {
                            d[i] = x[i] * 0.5;
                        }
                        comm.allReduce(d, op);
                        mine.add(d);
                    }
                }
                return mine;
            }));
        int at = 0;
        for (final int count : counts)
        {
            for (final ReduceOp op : ReduceOp.values())
            {
                final float[] expectedF = new float[count];
                final double[] expectedD = new double[count];
                for (int i = 0; i < count; i++)
                {
                    double sum = 0;
                    double min = Double.MAX_VALUE;
                    double max = -Double.MAX_VALUE;
                    for (int r = 0; r < n; r++)
                    {
                        final double x = (r + 1) * (i % 7 + 1) - 3;
                        sum += x;
                        min = Math.min(min, x);
                        max = Math.max(max, x);
                    }
                    final double e = op == ReduceOp.SUM || op == ReduceOp.AVG ? sum : op == ReduceOp.MIN ? min : max;
                    expectedF[i] = op == ReduceOp.AVG ? (float)e / (float)n : (float)e;
                    expectedD[i] = op == ReduceOp.AVG ? e * 0.5 / n : e * 0.5;
                }
                for (int r = 0; r < n; r++)
                {
                    assertArrayEquals(expectedF, (float[])results.get(r).get(at), layout + " rank " + r + " float32 " +
                        op + " count " + count);
                    assertArrayEquals(expectedD, (double[])results.get(r).get(at + 1), layout + " rank " + r +
                        " float64 " + op + " count " + count);
                }
                at += 2;
            }
        }
    }

    @ParameterizedTest(name = "hosts {0}")
    @ValueSource(strings = { "2,2", "2,1" })
    void weightedAveragesAreRightAndTheSameBitsEverywhere(final String layout) throws Exception
    {
        final int[] hostOf = hosts(Arrays.stream(layout.split(",")).mapToInt(Integer::parseInt).toArray());
        final int n = hostOf.length;
        final int count = 100_003;
        final List<Object[]> results = RankThreads.values(run(hostOf, new Context(), comm ->
        {
            final float[] v = new float[count];
            for (int i = 0; i < count; i++)
            {
                v[i] = comm.rank() + i % 5;
            }
            final double weightSum = comm.weightedAverage(v, comm.rank() + 1);
            // a rank without data this round contributes nothing
            final float[] w = new float[count];
            Arrays.fill(w, comm.rank() == 0 ? Float.NaN : 7);
            final double second = comm.weightedAverage(w, comm.rank() == 0 ? 0 : 2);
            return new Object[]{ v, weightSum, w, second };
        }));
        final double totalWeight = n * (n + 1) / 2.0;
        for (int r = 0; r < n; r++)
        {
            assertEquals(totalWeight, (double)results.get(r)[1], layout);
            assertEquals(2.0 * (n - 1), (double)results.get(r)[3], layout);
            final float[] v = (float[])results.get(r)[0];
            assertArrayEquals((float[])results.get(0)[0], v, "the same bits on every rank");
            assertArrayEquals((float[])results.get(0)[2], (float[])results.get(r)[2]);
            for (int i = 0; i < count; i += 997)
            {
                double expected = 0;
                for (int k = 0; k < n; k++)
                {
                    expected += (k + 1) * (double)(k + i % 5);
                }
                assertEquals(expected / totalWeight, v[i], 1e-4, layout + " element " + i);
                assertEquals(7f, ((float[])results.get(r)[2])[i], 1e-5);
            }
        }
    }

    @Test
    void aBadWeightOrNoWeightFailsEveryRankAndTheCommunicatorGoesOn() throws Exception
    {
        final int[] hostOf = hosts(2, 2);
        final List<String[]> messages = RankThreads.values(run(hostOf, new Context(), comm ->
        {
            final float[] v = new float[50_000];
            final String bad = assertInstanceOf(IllegalArgumentException.class, org.junit.jupiter.api.Assertions
                .assertThrows(RuntimeException.class, () -> comm.weightedAverage(v, comm.rank() == 3 ? -1 : 1)))
                .getMessage();
            final String none = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> comm.weightedAverage(v, 0)).getMessage();
            final float[] ones = new float[50_000];
            Arrays.fill(ones, 1);
            comm.allReduce(ones, ReduceOp.SUM);
            assertEquals(4f, ones[49_999]);
            return new String[]{ bad, none };
        }));
        for (int r = 0; r < 4; r++)
        {
            assertTrue(messages.get(r)[0].contains(r == 3 ? "the weight must be finite and >= 0" :
                "another rank passed an invalid weight"), messages.get(r)[0]);
            assertTrue(messages.get(r)[1].contains("every rank passed weight 0"), messages.get(r)[1]);
        }
    }

    @Test
    void aRankLeavingMidRunFailsEveryRankInsteadOfHanging() throws Exception
    {
        final int[] hostOf = hosts(2, 2);
        final long start = System.nanoTime();
        final List<RankThreads.Outcome<Void>> outcomes = run(hostOf, new Context()
            .timeoutNs(TimeUnit.SECONDS.toNanos(5)), comm ->
            {
                final float[] v = new float[100_000];
                for (int call = 0; call < 1_000; call++)
                {
                    if (comm.rank() == 2 && call == 10)
                    {
                        // what a process exit does to its links: the job's and its groups'
                        comm.transport().close();
                        for (final io.ringsync.transport.Transport group : comm.hierarchy().transports())
                        {
                            group.close();
                        }
                        return null;
                    }
                    comm.allReduce(v, ReduceOp.SUM);
                }
                return null;
            });
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 60_000);
        boolean named = false;
        for (final int survivor : new int[]{ 0, 1, 3 })
        {
            assertInstanceOf(RingsyncException.class, outcomes.get(survivor).error, "rank " + survivor);
            // the suspect is a job rank, though the failure came from an inner group that numbers its own (shrink
            // relies on it: an inner rank 0 taken for job rank 0 left a healthy rank out). An inner group's message
            // gives the job rank beside its own ("rank 1 (job rank 2) failed"); the suspect must be that one. A
            // rank may also be failed by a peer that closed its group after failing, named in the message alone.
            final RingsyncException failure = (RingsyncException)outcomes.get(survivor).error;
            final java.util.regex.Matcher jobRank = java.util.regex.Pattern.compile("\\(job rank (\\d+)\\)")
                .matcher(failure.getMessage());
            if (jobRank.find())
            {
                assertEquals(Integer.parseInt(jobRank.group(1)), failure.suspectRank(), "rank " + survivor + ": " +
                    failure);
            }
            named |= 2 == failure.suspectRank();
        }
        assertTrue(named, "no survivor named job rank 2, the one that left: " + outcomes);
    }

    @Test
    void aRankOnTheFlatPathIsAMismatchNotAHang() throws Exception
    {
        final int[] hostOf = hosts(2, 2);
        final LocalTransport[] world = LocalTransport.createJob(4, 1 << 18);
        final List<RankThreads.Outcome<Void>> outcomes = RankThreads.run(4, 60_000, (rank) ->
        {
            final Communicator comm = Communicator.connect(world[rank], new Context()
                .timeoutNs(TimeUnit.SECONDS.toNanos(10)).jobId(42));
            if (rank != 0)
            {
                comm.attachHierarchy(new File(root, "host-" + hostOf[rank]));
            }
            return comm;
        }, comm ->
        {
            comm.allReduce(new float[100_000], ReduceOp.SUM);
            return null;
        });
        for (final RankThreads.Outcome<Void> outcome : outcomes)
        {
            assertInstanceOf(RingsyncException.class, outcome.error, "rank " + outcome.rank);
        }
    }
}

package io.ringsync.collectives;

import io.ringsync.transport.LocalTransport;
import io.ringsync.transport.aeron.AeronMedia;
import io.ringsync.transport.aeron.MediaDriverHost;
import io.ringsync.transport.aeron.UdpPorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntBinaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Communicator#split(int, int)} with MPI_Comm_split's meaning, ranks as threads: groups of 1..n, odd/even,
 * halves, keys that reverse the order, nested splits, every op and type bitwise equal to the ring's order inside
 * each group, a group used while its parent is, a rank dying inside a group, a rank that makes another call,
 * and the same on every transport (shm, Aeron IPC and UDP).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SplitTest
{
    private static final Context RING_ONLY = new Context().timeoutNs(TimeUnit.SECONDS.toNanos(20)).smallMaxBytes(0);

    private final Path jobDir = TestJobDirectory.fresh("split").toPath();

    @AfterEach
    void removeJobDirectory()
    {
        org.agrona.IoUtil.delete(jobDir.toFile(), true);
    }

    /**
     * Who a rank is in its group, and the group's sum of a vector each member fills from its job rank.
     */
    private static final class Seen
    {
        final int rank;
        final int size;
        final int[] jobRanks;
        final float[] sum;

        Seen(final Communicator sub, final float[] sum)
        {
            this.rank = sub.rank();
            this.size = sub.size();
            this.jobRanks = new int[sub.size()];
            for (int r = 0; r < sub.size(); r++)
            {
                jobRanks[r] = sub.jobRank(r);
            }
            this.sum = sum;
        }
    }

    private static float[] input(final int jobRank, final int count)
    {
        final float[] v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)Math.sin(jobRank * 7919.0 + i) * 1000;
        }
        return v;
    }

    /**
     * Split every rank of an n-rank job by {@code color(rank, n)} and {@code key(rank, n)}, allReduce in each
     * group, and check the groups against MPI's rule and the ring's summation order.
     */
    private static void checkSplit(final int n, final IntBinaryOperator color, final IntBinaryOperator key)
        throws Exception
    {
        final int count = 1_001;
        final List<Seen> seen = LocalCluster.runAll(n, RING_ONLY, comm ->
        {
            try (Communicator sub = comm.split(color.applyAsInt(comm.rank(), n), key.applyAsInt(comm.rank(), n)))
            {
                final float[] v = input(comm.rank(), count);
                sub.allReduce(v, ReduceOp.SUM);
                // the parent stays usable after the split
                final float[] one = { 1 };
                comm.allReduce(one, ReduceOp.SUM);
                assertEquals(n, one[0]);
                return new Seen(sub, v);
            }
        });
        for (int r = 0; r < n; r++)
        {
            final int c = color.applyAsInt(r, n);
            final List<Integer> expected = new ArrayList<>();
            for (int other = 0; other < n; other++)
            {
                if (color.applyAsInt(other, n) == c)
                {
                    expected.add(other);
                }
            }
            expected.sort((a, b) -> key.applyAsInt(a, n) != key.applyAsInt(b, n) ?
                Integer.compare(key.applyAsInt(a, n), key.applyAsInt(b, n)) : Integer.compare(a, b));
            final Seen mine = seen.get(r);
            assertEquals(expected.size(), mine.size, "rank " + r + ": group size");
            assertEquals(expected.indexOf(r), mine.rank, "rank " + r + ": rank in its group");
            final int[] members = expected.stream().mapToInt(Integer::intValue).toArray();
            assertArrayEquals(members, mine.jobRanks, "rank " + r + ": members in order");
            final float[][] inputs = new float[members.length][];
            for (int i = 0; i < members.length; i++)
            {
                inputs[i] = input(members[i], count);
            }
            assertArrayEquals(RingReference.floats(inputs, ReduceOp.SUM), mine.sum,
                "rank " + r + ": the group's sum in its ring order, bit for bit");
        }
    }

    @Test
    void groupsOfEverySizeFromOneToN() throws Exception
    {
        for (int n = 1; n <= 5; n++)
        {
            checkSplit(n, (rank, size) -> 0, (rank, size) -> 0);
            checkSplit(n, (rank, size) -> rank, (rank, size) -> 0);
        }
    }

    @Test
    void oddAndEvenRanksAndHalves() throws Exception
    {
        checkSplit(5, (rank, size) -> rank % 2, (rank, size) -> rank);
        checkSplit(6, (rank, size) -> rank < size / 2 ? 0 : 1, (rank, size) -> rank);
        checkSplit(4, (rank, size) -> rank / 3, (rank, size) -> 0);
    }

    @Test
    void keysOrderTheGroupAndTiesKeepTheParentsOrder() throws Exception
    {
        checkSplit(5, (rank, size) -> 0, (rank, size) -> -rank);
        checkSplit(6, (rank, size) -> rank % 2, (rank, size) -> rank < 3 ? 1 : 0);
        checkSplit(4, (rank, size) -> 7, (rank, size) -> Integer.MIN_VALUE + (size - rank));
    }

    @Test
    void aNegativeColourJoinsNoGroup() throws Exception
    {
        final List<Integer> sizes = LocalCluster.runAll(4, comm ->
        {
            final int color = comm.rank() == 1 ? Communicator.UNDEFINED : comm.rank() == 3 ? -5 : 9;
            try (Communicator sub = comm.split(color, comm.rank()))
            {
                if (color < 0)
                {
                    assertNull(sub);
                    return 0;
                }
                assertNotNull(sub);
                final float[] v = { 1 };
                sub.allReduce(v, ReduceOp.SUM);
                assertEquals(2f, v[0]);
                return sub.size();
            }
        });
        assertEquals(List.of(2, 0, 2, 0), sizes);
    }

    @Test
    void nestedSplitsGiveGroupsOfGroups() throws Exception
    {
        // 8 ranks: parity, then halves of each parity group: {0,4} {2,6} {1,5} {3,7}
        final int count = 70_001;
        final List<int[]> members = LocalCluster.runAll(8, RING_ONLY, comm ->
        {
            try (Communicator parity = comm.split(comm.rank() % 2, comm.rank());
                Communicator pair = parity.split(parity.rank() % 2, parity.rank()))
            {
                final float[] v = input(comm.rank(), count);
                pair.allReduce(v, ReduceOp.SUM);
                final float[][] inputs = { input(pair.jobRank(0), count), input(pair.jobRank(1), count) };
                assertArrayEquals(RingReference.floats(inputs, ReduceOp.SUM), v);
                final double[] w = { comm.rank() };
                parity.allReduce(w, ReduceOp.MAX);
                assertEquals(comm.rank() % 2 == 0 ? 6 : 7, (int)w[0]);
                return new int[]{ pair.jobRank(0), pair.jobRank(1) };
            }
        });
        final int[][] expected = { { 0, 4 }, { 1, 5 }, { 2, 6 }, { 3, 7 }, { 0, 4 }, { 1, 5 }, { 2, 6 }, { 3, 7 } };
        for (int r = 0; r < 8; r++)
        {
            assertArrayEquals(expected[r], members.get(r), "rank " + r);
        }
    }

    @Test
    void everyOpAndTypeInsideAGroupMatchesItsRingOrderBitwise() throws Exception
    {
        final int n = 5;
        for (final int count : new int[]{ 0, 1, 2, 3, 4097, 100_003 })
        {
            final List<List<Object>> results = LocalCluster.runAll(n, RING_ONLY, comm ->
            {
                final List<Object> mine = new ArrayList<>();
                try (Communicator sub = comm.split(comm.rank() % 2, -comm.rank()))
                {
                    for (final ReduceOp op : ReduceOp.values())
                    {
                        final float[] f = input(comm.rank(), count);
                        sub.allReduce(f, op);
                        mine.add(f);
                        final double[] d = new double[count];
                        for (int i = 0; i < count; i++)
                        {
                            d[i] = Math.cos(comm.rank() * 104729.0 + i) * 1e6;
                        }
                        sub.allReduce(d, op);
                        mine.add(d);
                    }
                    final int[] members = new int[sub.size()];
                    for (int r = 0; r < sub.size(); r++)
                    {
                        members[r] = sub.jobRank(r);
                    }
                    mine.add(members);
                }
                return mine;
            });
            for (int r = 0; r < n; r++)
            {
                final int[] members = (int[])results.get(r).get(2 * ReduceOp.values().length);
                int at = 0;
                for (final ReduceOp op : ReduceOp.values())
                {
                    final float[][] floats = new float[members.length][];
                    final double[][] doubles = new double[members.length][];
                    for (int i = 0; i < members.length; i++)
                    {
                        floats[i] = input(members[i], count);
                        doubles[i] = new double[count];
                        for (int e = 0; e < count; e++)
                        {
                            doubles[i][e] = Math.cos(members[i] * 104729.0 + e) * 1e6;
                        }
                    }
                    assertArrayEquals(RingReference.floats(floats, op), (float[])results.get(r).get(at++),
                        "rank " + r + " float32 " + op + " count " + count);
                    assertArrayEquals(RingReference.doubles(doubles, op), (double[])results.get(r).get(at++),
                        "rank " + r + " float64 " + op + " count " + count);
                }
            }
        }
    }

    @Test
    void aGroupRunsWhileItsParentDoesOnAnotherThreadAndClosesOnItsOwn() throws Exception
    {
        final int n = 4;
        LocalCluster.runAll(n, comm ->
        {
            final Communicator sub = comm.split(comm.rank() % 2, comm.rank());
            final CompletableFuture<float[]> inGroup = CompletableFuture.supplyAsync(() ->
            {
                final float[] v = new float[50_000];
                Arrays.fill(v, 1);
                for (int call = 0; call < 20; call++)
                {
                    sub.allReduce(v, ReduceOp.AVG);
                }
                return v;
            });
            final float[] v = new float[50_000];
            Arrays.fill(v, 2);
            for (int call = 0; call < 20; call++)
            {
                comm.allReduce(v, ReduceOp.AVG);
            }
            assertEquals(2f, v[49_999]);
            assertEquals(1f, inGroup.get(60, TimeUnit.SECONDS)[0]);
            assertEquals(20, sub.sequence(), "the group numbers its own calls");
            sub.close();
            // closing the group leaves the parent usable, and a closed group refuses calls
            final float[] one = { 1 };
            comm.allReduce(one, ReduceOp.SUM);
            assertEquals(n, one[0]);
            assertInstanceOf(CommunicatorClosedException.class,
                org.junit.jupiter.api.Assertions.assertThrows(RingsyncException.class,
                    () -> sub.allReduce(new float[1], ReduceOp.SUM)));
            return null;
        });
    }

    @Test
    void aGroupOutlivesItsClosedParent() throws Exception
    {
        final List<Float> sums = LocalCluster.runAll(3, comm ->
        {
            final Communicator sub = comm.split(0, comm.rank());
            comm.close();
            try (Communicator group = sub)
            {
                final float[] v = { comm.rank() };
                group.allReduce(v, ReduceOp.SUM);
                return v[0];
            }
        });
        assertEquals(List.of(3f, 3f, 3f), sums);
    }

    @Test
    void aRankDyingInsideAGroupIsNamedByItsPeersAndTheParentGoesOn() throws Exception
    {
        final CountDownLatch groupFailed = new CountDownLatch(2);
        final List<RankThreads.Outcome<String>> outcomes = LocalCluster.run(4, 1 << 18,
            new Context().timeoutNs(TimeUnit.SECONDS.toNanos(10)), comm ->
            {
                // group {1, 2, 3} with job rank 3 first: ranks 0 (job 3), 1 (job 2), 2 (job 1)
                String failure = null;
                try (Communicator sub = comm.split(comm.rank() == 0 ? Communicator.UNDEFINED : 1, -comm.rank()))
                {
                    if (comm.rank() == 2)
                    {
                        // what a process exit does to its links, inside the group only
                        sub.transport().close();
                    }
                    else if (null != sub)
                    {
                        try
                        {
                            for (int call = 0; call < 1_000; call++)
                            {
                                sub.allReduce(new float[1000], ReduceOp.SUM);
                            }
                        }
                        catch (final PeerFailedException ex)
                        {
                            groupFailed.countDown();
                            assertEquals(1, ex.suspectRank(), ex.getMessage());
                            failure = ex.getMessage();
                        }
                    }
                    assertTrue(groupFailed.await(30, TimeUnit.SECONDS));
                }
                // the parent never saw the failure: every rank is alive there
                final float[] one = { 1 };
                comm.allReduce(one, ReduceOp.SUM);
                assertEquals(4f, one[0]);
                return failure;
            });
        assertNull(outcomes.get(0).error, () -> String.valueOf(outcomes.get(0).error));
        assertNull(outcomes.get(2).error, () -> String.valueOf(outcomes.get(2).error));
        for (final int survivor : new int[]{ 1, 3 })
        {
            assertNull(outcomes.get(survivor).error, () -> String.valueOf(outcomes.get(survivor).error));
            assertTrue(outcomes.get(survivor).value.contains("rank 1 (job rank 2)"), outcomes.get(survivor).value);
        }
    }

    @Test
    void aRankMakingAnotherCallFailsTheSplitOnEveryRank() throws Exception
    {
        for (final boolean sameShape : new boolean[]{ false, true })
        {
            final List<RankThreads.Outcome<Void>> outcomes = LocalCluster.run(3, 1 << 18,
                new Context().timeoutNs(TimeUnit.SECONDS.toNanos(10)), comm ->
                {
                    if (comm.rank() == 2)
                    {
                        if (sameShape)
                        {
                            // the very bytes a split exchanges, as an allGather
                            comm.allGather(new double[6], 2);
                        }
                        else
                        {
                            comm.barrier();
                        }
                    }
                    else
                    {
                        comm.split(0, 0);
                    }
                    return null;
                });
            for (final RankThreads.Outcome<Void> outcome : outcomes)
            {
                assertInstanceOf(CollectiveMismatchException.class, outcome.error, "rank " + outcome.rank);
                assertTrue(outcome.error.getMessage().contains("split"), outcome.error.getMessage());
            }
        }
    }

    @Test
    void meshIdsDifferForEveryGroupAndSplit()
    {
        final long a = SubGroups.meshId(0, 5, 0);
        assertEquals(a, SubGroups.meshId(0, 5, 0));
        assertTrue(a != SubGroups.meshId(0, 5, 1) && a != SubGroups.meshId(0, 6, 0) && a != SubGroups.meshId(1, 5, 0));
        assertArrayEquals(new int[]{ 3, 0, 2 }, SubGroups.members(new double[]{ 4, 1, -1, 7, 4, 2, 4, 0 }, 4));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { "shm", "ipc", "udp" })
    void splitsWorkOnEveryTransport(final String transport) throws Exception
    {
        final int n = 4;
        final int count = 300_007;
        MediaDriverHost driver = null;
        try
        {
            final List<Map<String, String>> envs = new ArrayList<>();
            final StringBuilder endpoints = new StringBuilder();
            if ("ipc".equals(transport))
            {
                driver = MediaDriverHost.launch(new File(jobDir.toFile(), "driver"), AeronMedia.IPC, 1 << 20);
            }
            if ("udp".equals(transport))
            {
                endpoints.append(String.join(",", UdpPorts.loopbackEndpoints(n)));
            }
            for (int r = 0; r < n; r++)
            {
                final Map<String, String> env = new HashMap<>();
                env.put(Configuration.RANK_ENV, Integer.toString(r));
                env.put(Configuration.WORLD_SIZE_ENV, Integer.toString(n));
                env.put(Configuration.TRANSPORT_ENV, transport);
                env.put(Configuration.JOB_ID_ENV, "0x501175");
                env.put(Configuration.JOB_DIR_ENV, jobDir.toString());
                env.put(Configuration.TIMEOUT_MS_ENV, "30000");
                if (null != driver)
                {
                    env.put(Configuration.AERON_DIR_ENV, driver.aeronDirectoryName());
                }
                if ("udp".equals(transport))
                {
                    env.put(Configuration.UDP_ENDPOINTS_ENV, endpoints.toString());
                    env.put(Configuration.UDP_MTU_ENV, "8192");
                }
                envs.add(env);
            }
            final List<float[]> sums = RankThreads.values(RankThreads.run(n, 120_000,
                (rank) -> Communicator.fromEnvironment(envs.get(rank)), (comm) ->
                {
                    try (Communicator halves = comm.split(comm.rank() / 2, -comm.rank());
                        Communicator alone = halves.split(halves.rank(), 0))
                    {
                        assertEquals(1, alone.size());
                        final float[] v = input(comm.rank(), count);
                        halves.allReduce(v, ReduceOp.SUM);
                        final float[] again = v.clone();
                        alone.allReduce(again, ReduceOp.SUM);
                        assertArrayEquals(v, again, "a group of one leaves the vector as it is");
                        return v;
                    }
                }));
            for (int r = 0; r < n; r++)
            {
                final int first = r / 2 * 2;
                // members ordered by key -rank: the higher job rank first
                final float[][] inputs = { input(first + 1, count), input(first, count) };
                assertArrayEquals(RingReference.floats(inputs, ReduceOp.SUM), sums.get(r), transport + " rank " + r);
            }
            if ("shm".equals(transport))
            {
                try (Stream<Path> left = Files.list(jobDir))
                {
                    assertEquals(List.of(), left.map(Path::getFileName).map(Path::toString).toList(),
                        "every group's files and directories are gone");
                }
            }
        }
        finally
        {
            if (null != driver)
            {
                driver.close();
            }
        }
    }

    @Test
    void localMeshesOfAJobAreFoundByEveryMember()
    {
        final LocalTransport[] job = LocalTransport.createJob(3, 1 << 12);
        final io.ringsync.transport.Transport a = job[0].openMesh(42, new int[]{ 2, 0 });
        final io.ringsync.transport.Transport b = job[2].openMesh(42, new int[]{ 2, 0 });
        assertEquals(1, a.rank());
        assertEquals(0, b.rank());
        assertEquals(2, a.worldSize());
        final org.agrona.concurrent.UnsafeBuffer message = new org.agrona.concurrent.UnsafeBuffer(new byte[8]);
        message.putLong(0, 77);
        assertTrue(b.outbound(1).offer(message, 0, 8) >= 0);
        final long[] got = new long[1];
        assertEquals(1, a.inbound(0).poll((buffer, offset, length) ->
        {
            got[0] = buffer.getLong(offset);
            return true;
        }, 10));
        assertEquals(77, got[0]);
    }
}

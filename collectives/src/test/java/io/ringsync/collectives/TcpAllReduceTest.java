package io.ringsync.collectives;

import io.ringsync.transport.tcp.TcpTransport;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.tcp.TcpTestSupport.loopbackEndpoints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The real ring over TCP: ranks as threads, each with its own {@link TcpTransport} listening on a loopback port and
 * its own communicator; every rank's result must have the same bits as every other's and as the sum in the order
 * of the path the call takes (the ring's, or rank order on the small-vector path).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TcpAllReduceTest
{
    private static final int[] SIZES = { 0, 1, 4097, 99_991, 262_144 };
    private static final int CALLS_PER_SIZE = 3;

    @ParameterizedTest(name = "np {0}, window {1}")
    @CsvSource({ "2, 0", "3, 0", "4, 0", "3, 65536", "4, 16384" })
    void everyRankGetsTheRingSumBitForBit(final int np, final int windowLength) throws Exception
    {
        final String[] endpoints = loopbackEndpoints(np);
        final long jobId = ThreadLocalRandom.current().nextLong();
        final long seed = ThreadLocalRandom.current().nextLong();
        final ExecutorService pool = Executors.newFixedThreadPool(np);
        try
        {
            final List<Future<List<float[]>>> futures = new ArrayList<>();
            for (int rank = 0; rank < np; rank++)
            {
                final int r = rank;
                futures.add(pool.submit(() ->
                {
                    final TcpTransport transport = TcpTransport.connect(new TcpTransport.Context()
                        .rank(r)
                        .worldSize(np)
                        .jobId(jobId)
                        .endpoints(endpoints)
                        .windowLength(windowLength)
                        .connectTimeoutNs(TimeUnit.SECONDS.toNanos(20)));
                    final List<float[]> results = new ArrayList<>();
                    try (Communicator comm = Communicator.connect(
                        transport, new Context().timeoutNs(TimeUnit.SECONDS.toNanos(30))))
                    {
                        assertEquals("tcp", comm.transportName());
                        for (final int count : SIZES)
                        {
                            for (int call = 0; call < CALLS_PER_SIZE; call++)
                            {
                                final float[] vector = input(seed, r, count, call);
                                comm.allReduce(vector, ReduceOp.SUM);
                                results.add(vector);
                            }
                        }
                        results.add(new float[]{ comm.smallMaxBytes() });
                    }
                    catch (final RuntimeException | Error ex)
                    {
                        transport.close();
                        throw ex;
                    }
                    return results;
                }));
            }
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
            final List<List<float[]>> byRank = new ArrayList<>();
            for (int rank = 0; rank < np; rank++)
            {
                try
                {
                    byRank.add(futures.get(rank).get(Math.max(1, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS));
                }
                catch (final java.util.concurrent.ExecutionException ex)
                {
                    throw new AssertionError("rank " + rank + " failed", ex.getCause());
                }
            }

            final List<float[]> first = byRank.get(0);
            final int smallMaxBytes = (int)first.get(first.size() - 1)[0];
            // a pair takes the small path up to its own switch, so 4097 floats take it at np 2 and the ring above
            assertEquals(
                np == 2 ? Configuration.SMALL_MAX_BYTES_TCP_PAIR_DEFAULT : Configuration.SMALL_MAX_BYTES_DEFAULT,
                smallMaxBytes);
            int index = 0;
            for (final int count : SIZES)
            {
                for (int call = 0; call < CALLS_PER_SIZE; call++, index++)
                {
                    final float[][] inputs = new float[np][];
                    for (int rank = 0; rank < np; rank++)
                    {
                        inputs[rank] = input(seed, rank, count, call);
                    }
                    final boolean small = (long)count * Float.BYTES <= smallMaxBytes;
                    final float[] expected = count == 0 ? new float[0] :
                        small ? rankOrder(inputs) : RingReference.floats(inputs, ReduceOp.SUM);
                    for (int rank = 0; rank < np; rank++)
                    {
                        final float[] actual = byRank.get(rank).get(index);
                        assertEquals(count, actual.length);
                        for (int i = 0; i < count; i++)
                        {
                            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i]))
                            {
                                fail("np " + np + ", " + count + " floats, call " + call + ", rank " + rank +
                                    ", element " + i + ": expected " + expected[i] + " (" +
                                    (small ? "rank order" : "ring order") + "), got " + actual[i]);
                            }
                        }
                    }
                }
            }
            assertTrue(index > 0);
        }
        finally
        {
            pool.shutdownNow();
            if (!pool.awaitTermination(20, TimeUnit.SECONDS))
            {
                fail("rank threads did not stop");
            }
        }
    }

    private static float[] input(final long seed, final int rank, final int count, final int call)
    {
        final Random random = new Random(seed * 31 + rank * 1_000_003L + count * 7L + call);
        final float[] vector = new float[count];
        for (int i = 0; i < count; i++)
        {
            // mixed magnitudes, so a different summation order gives different bits
            vector[i] = (float)((random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(7) - 3));
        }
        return vector;
    }

    private static float[] rankOrder(final float[][] inputs)
    {
        final float[] result = inputs[0].clone();
        for (int rank = 1; rank < inputs.length; rank++)
        {
            for (int i = 0; i < result.length; i++)
            {
                result[i] += inputs[rank][i];
            }
        }
        return result;
    }
}

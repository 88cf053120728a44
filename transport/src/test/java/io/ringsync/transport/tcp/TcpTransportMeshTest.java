package io.ringsync.transport.tcp;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.OutboundLink;
import io.ringsync.transport.Transport;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.tcp.TcpTestSupport.await;
import static io.ringsync.transport.tcp.TcpTestSupport.awaitConnected;
import static io.ringsync.transport.tcp.TcpTestSupport.context;
import static io.ringsync.transport.tcp.TcpTestSupport.loopbackEndpoints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpTransportMeshTest
{
    private final List<TcpTransport> transports = new ArrayList<>();
    private final long jobId = ThreadLocalRandom.current().nextLong();

    @AfterEach
    void tearDown()
    {
        CloseHelper.quietCloseAll(transports);
    }

    private TcpTransport[] job(final String[] endpoints)
    {
        final TcpTransport[] job = new TcpTransport[endpoints.length];
        for (int rank = 0; rank < endpoints.length; rank++)
        {
            job[rank] = TcpTransport.connect(context(rank, endpoints, jobId).windowLength(64 * 1024));
            transports.add(job[rank]);
        }
        awaitConnected(job);
        return job;
    }

    @Test
    void twoMeshesOnOneListenerCarryTrafficAtOnceFromTwoThreads() throws Exception
    {
        final TcpTransport[] world = job(loopbackEndpoints(3));
        // a sub-mesh of ranks 2 and 0, in that order, opened in a different order on each rank
        final TcpTransport[] sub = new TcpTransport[3];
        sub[0] = world[0].openMesh(7, new int[]{ 2, 0 });
        transports.add(sub[0]);
        Thread.sleep(50);
        sub[2] = world[2].openMesh(7, new int[]{ 2, 0 });
        transports.add(sub[2]);
        assertEquals(1, sub[0].rank());
        assertEquals(0, sub[2].rank());
        assertEquals(2, sub[0].worldSize());
        assertEquals(2, sub[0].jobRank(0));
        awaitConnected(sub[0], sub[2]);

        final ExecutorService pool = Executors.newFixedThreadPool(2);
        try
        {
            // thread A: the world mesh, a ring 0 -> 1 -> 2 -> 0; thread B: the sub-mesh, ping-pong 2 <-> 0
            final Future<Long> a = pool.submit(() -> exchange(world, 3_000));
            final Future<Long> b = pool.submit(() -> exchange(new TcpTransport[]{ sub[2], sub[0] }, 3_000));
            assertEquals(expectedChecksum(3, 3_000), a.get(40, TimeUnit.SECONDS));
            assertEquals(expectedChecksum(2, 3_000), b.get(40, TimeUnit.SECONDS));
        }
        finally
        {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }

        // closing the world mesh leaves the listener open for the sub-mesh; the last mesh closes it
        world[0].close();
        world[2].close();
        final TcpTransport[] subPair = { sub[2], sub[0] };
        assertEquals(expectedChecksum(2, 100), exchange(subPair, 100));
        assertFalse(sub[0].outbound(0).tryClaim(1) == OutboundLink.CLOSED);
        sub[0].close();
        sub[2].close();
        await("rank 0's listener to close with its last mesh", 5_000, () ->
        {
            try (java.net.Socket ignored = new java.net.Socket(world[0].listenAddress().getAddress(),
                world[0].listenAddress().getPort()))
            {
                return false;
            }
            catch (final java.io.IOException ex)
            {
                return true;
            }
        });
    }

    @Test
    void openMeshRefusesBadMembersAndDuplicateIds()
    {
        final TcpTransport[] world = job(loopbackEndpoints(2));
        assertThrows(IllegalArgumentException.class, () -> world[0].openMesh(1, new int[]{ 1 }));
        assertThrows(IllegalArgumentException.class, () -> world[0].openMesh(1, new int[]{ 0, 0 }));
        assertThrows(IllegalArgumentException.class, () -> world[0].openMesh(1, new int[]{ 0, 2 }));
        assertThrows(IllegalArgumentException.class, () -> world[0].openMesh(1, null));
        final IllegalStateException ex = assertThrows(IllegalStateException.class,
            () -> world[0].openMesh(TcpTransport.MESH_ID_DEFAULT, new int[]{ 0, 1 }));
        assertTrue(ex.getMessage().contains("meshId=0"), ex.getMessage());
        final TcpTransport alone = world[0].openMesh(5, new int[]{ 0 });
        transports.add(alone);
        assertEquals(1, alone.worldSize());
        assertEquals(0, alone.rank());
    }

    /**
     * Every rank sends {@code count} numbered messages to its right neighbour and sums what it receives from its
     * left; all on the calling thread.
     */
    private static long exchange(final TcpTransport[] ranks, final int count)
    {
        final int n = ranks.length;
        final int[] sent = new int[n];
        final int[] received = new int[n];
        final long[] sum = { 0 };
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true)
        {
            boolean done = true;
            for (int r = 0; r < n; r++)
            {
                final Transport t = ranks[r];
                final OutboundLink out = t.outbound((t.rank() + 1) % n);
                if (sent[r] < count)
                {
                    final long offset = out.tryClaim(256);
                    if (offset >= 0)
                    {
                        out.buffer().putLong((int)offset, r * 1_000_000L + sent[r]);
                        out.commit();
                        sent[r]++;
                    }
                }
                final InboundLink in = t.inbound((t.rank() - 1 + n) % n);
                final int rr = r;
                in.poll((buffer, offset, length) ->
                {
                    sum[0] += buffer.getLong(offset);
                    received[rr]++;
                    return true;
                }, 8);
                t.doWork();
                done &= received[r] == count;
            }
            if (done)
            {
                return sum[0];
            }
            if (System.nanoTime() - deadlineNs >= 0)
            {
                throw new AssertionError("exchange stuck: sent " + java.util.Arrays.toString(sent) + " received " +
                    java.util.Arrays.toString(received));
            }
        }
    }

    private static long expectedChecksum(final int n, final int count)
    {
        long sum = 0;
        for (int r = 0; r < n; r++)
        {
            for (int i = 0; i < count; i++)
            {
                sum += r * 1_000_000L + i;
            }
        }
        return sum;
    }
}

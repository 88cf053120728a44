package io.ringsync.collectives;

import io.ringsync.transport.ForwardingTransport;
import io.ringsync.transport.LocalTransport;
import io.ringsync.transport.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Communicator#connect(Transport, Context)} owns the transport it is handed: closed with the communicator,
 * and closed when connecting fails, so a caller whose connect threw has nothing left open.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectOwnershipTest
{
    @Test
    void aConnectThatTimesOutClosesTheTransportAndNamesTheMissingRank()
    {
        final LocalTransport[] job = LocalTransport.createJob(2, LocalTransport.LINK_CAPACITY_DEFAULT);
        final CountingClose transport = new CountingClose(job[0]);
        final long start = System.nanoTime();

        // rank 1 never connects
        final RingsyncException ex = assertThrows(RingsyncException.class, () ->
            Communicator.connect(transport, new Context().timeoutNs(TimeUnit.MILLISECONDS.toNanos(300))));

        assertEquals(1, ex.suspectRank(), ex.getMessage());
        assertTrue(ex.getMessage().contains("no reply from rank 1"), ex.getMessage());
        assertEquals(1, transport.closes.get(), "the transport was closed once, before connect threw");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20), "failed near its deadline");
        job[1].close();
    }

    @Test
    void twoMissingRanksAreBothNamedAndNeitherIsBlamedAlone()
    {
        final LocalTransport[] job = LocalTransport.createJob(3, LocalTransport.LINK_CAPACITY_DEFAULT);
        final CountingClose transport = new CountingClose(job[0]);

        final RingsyncException ex = assertThrows(RingsyncException.class, () ->
            Communicator.connect(transport, new Context().timeoutNs(TimeUnit.MILLISECONDS.toNanos(300))));

        assertEquals(-1, ex.suspectRank(), ex.getMessage());
        assertTrue(ex.getMessage().contains("no reply from rank 1, rank 2"), ex.getMessage());
        assertEquals(1, transport.closes.get());
        job[1].close();
        job[2].close();
    }

    @Test
    void settingsRefusedByConnectCloseTheTransport()
    {
        final LocalTransport[] job = LocalTransport.createJob(2, LocalTransport.LINK_CAPACITY_DEFAULT);
        final CountingClose transport = new CountingClose(job[0]);

        final ConfigurationException ex = assertThrows(ConfigurationException.class, () ->
            Communicator.connect(transport, new Context().chunkBytes(16)));

        assertTrue(ex.getMessage().contains(Configuration.CHUNK_BYTES_ENV), ex.getMessage());
        assertEquals(1, transport.closes.get());
        job[1].close();
    }

    @Test
    void aConnectedCommunicatorClosesTheTransportWithItself() throws Exception
    {
        final LocalTransport[] job = LocalTransport.createJob(2, LocalTransport.LINK_CAPACITY_DEFAULT);
        final CountingClose[] transports = { new CountingClose(job[0]), new CountingClose(job[1]) };

        final List<float[]> results = RankThreads.values(RankThreads.run(2, 30_000,
            (rank) -> Communicator.connect(transports[rank], new Context().timeoutNs(TimeUnit.SECONDS.toNanos(10))),
            (comm) ->
            {
                final float[] vector = { comm.rank() + 1, 10 };
                comm.allReduce(vector, ReduceOp.SUM);
                assertEquals(0, transports[comm.rank()].closes.get(), "open while the communicator is");
                return vector;
            }));

        for (int rank = 0; rank < 2; rank++)
        {
            assertEquals(3.0f, results.get(rank)[0]);
            assertEquals(20.0f, results.get(rank)[1]);
            assertEquals(1, transports[rank].closes.get(), "rank " + rank + ": closed with its communicator");
        }
    }

    /**
     * A transport that counts its closes and otherwise is the one it wraps.
     */
    private static final class CountingClose extends ForwardingTransport
    {
        private final AtomicInteger closes = new AtomicInteger();

        CountingClose(final Transport delegate)
        {
            super(delegate);
        }

        public void close()
        {
            closes.incrementAndGet();
            super.close();
        }
    }
}

package io.ringsync.transport.shm;

import io.ringsync.transport.OutboundLink;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.shm.ShmTestSupport.context;
import static io.ringsync.transport.shm.ShmTestSupport.lengthOf;
import static io.ringsync.transport.shm.ShmTestSupport.trySend;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every rank of a 3- or 4-rank job, each a thread, sends to every other rank at once over a full mesh.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ShmTransportMeshTest
{
    private static final int MESSAGES_PER_LINK = 10_000;

    /**
     * Sequence numbers of the link from rank f start at f times this, so a message on the wrong link fails.
     */
    private static final int SEQUENCE_BASE_PER_SENDER = 1_000_000;

    private File dir;
    private final List<ShmTransport> transports = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        dir = ShmTestSupport.newTestDirectory("mesh");
    }

    @AfterEach
    void tearDown()
    {
        CloseHelper.quietCloseAll(transports);
        ShmTestSupport.deleteDirectory(dir);
    }

    @ParameterizedTest
    @ValueSource(ints = { 3, 4 })
    void everyRankSendsToEveryOtherRank(final int worldSize) throws Exception
    {
        final long jobId = ThreadLocalRandom.current().nextLong();
        // small rings, so every link wraps and back-pressures often
        for (int rank = 0; rank < worldSize; rank++)
        {
            transports.add(ShmTransport.connect(context(dir, jobId, rank, worldSize).slotCount(4)));
        }

        final ExecutorService pool = Executors.newFixedThreadPool(worldSize);
        try
        {
            final List<Future<int[]>> futures = new ArrayList<>();
            for (final ShmTransport transport : transports)
            {
                futures.add(pool.submit(() -> runRank(transport)));
            }
            for (int rank = 0; rank < worldSize; rank++)
            {
                final int[] received = futures.get(rank).get(100, TimeUnit.SECONDS);
                for (int peer = 0; peer < worldSize; peer++)
                {
                    assertEquals(peer == rank ? 0 : MESSAGES_PER_LINK, received[peer],
                        "messages rank " + rank + " received from rank " + peer);
                }
            }
        }
        finally
        {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(5, TimeUnit.SECONDS));
        }
    }

    private static int[] runRank(final ShmTransport self)
    {
        final int rank = self.rank();
        final int worldSize = self.worldSize();
        final int max = self.maxMessageLength();
        final int[] sent = new int[worldSize];
        final ShmTestSupport.Receiver[] receivers = new ShmTestSupport.Receiver[worldSize];
        for (int peer = 0; peer < worldSize; peer++)
        {
            if (peer != rank)
            {
                receivers[peer] = new ShmTestSupport.Receiver(max, peer * SEQUENCE_BASE_PER_SENDER);
            }
        }

        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        final int pending = (worldSize - 1) * MESSAGES_PER_LINK;
        int totalSent = 0;
        int totalReceived = 0;
        while (totalSent < pending || totalReceived < pending)
        {
            int work = self.doWork();
            for (int peer = 0; peer < worldSize; peer++)
            {
                if (peer == rank)
                {
                    continue;
                }
                if (sent[peer] < MESSAGES_PER_LINK)
                {
                    final OutboundLink out = self.outbound(peer);
                    final int seq = rank * SEQUENCE_BASE_PER_SENDER + sent[peer];
                    if (trySend(out, seq, lengthOf(seq, max)))
                    {
                        sent[peer]++;
                        totalSent++;
                        work++;
                    }
                }
                final int received = self.inbound(peer).poll(receivers[peer], 8);
                totalReceived += received;
                work += received;
            }
            if (0 == work)
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    final StringBuilder sb = new StringBuilder("rank " + rank + " stuck:");
                    for (int peer = 0; peer < worldSize; peer++)
                    {
                        if (peer != rank)
                        {
                            sb.append(' ').append(self.linkStatus(peer)).append(';');
                        }
                    }
                    throw new AssertionError(sb.toString());
                }
                Thread.yield();
            }
        }

        final int[] received = new int[worldSize];
        for (int peer = 0; peer < worldSize; peer++)
        {
            received[peer] = peer == rank ? 0 : receivers[peer].next;
        }
        return received;
    }
}

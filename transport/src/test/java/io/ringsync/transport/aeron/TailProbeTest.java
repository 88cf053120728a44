package io.ringsync.transport.aeron;

import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.aeron.AeronTestSupport.awaitConnected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TailProbe} on a udp link between two ranks of this JVM, rank 0 reaching rank 1 through a relay: the last
 * frame of a burst lost on the way arrives by the probe's NAK, before Aeron's 100 ms heartbeat could have brought it;
 * a quiet link whose data all arrived sends its few probes and then nothing, and the receiver never sees them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@Tag("process") // embedded UDP media drivers
class TailProbeTest
{
    private static final int BURST = 10;
    private static final int LENGTH = 1000;

    private File testDir;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        testDir = AeronTestSupport.newTestDirectory("tail-probe");
    }

    @AfterEach
    void tearDown()
    {
        CloseHelper.quietCloseAll(closeables);
        AeronTestSupport.deleteDirectory(testDir);
    }

    @Test
    void aLostLastFrameOfABurstComesBeforeTheHeartbeatWould() throws Exception
    {
        // the relay drops the first copy of the burst's last frame; its retransmission passes
        final Set<Long> seen = new HashSet<>();
        // written by the relay's thread, read by this one
        final java.util.concurrent.atomic.AtomicLong dropped = new java.util.concurrent.atomic.AtomicLong(-1);
        final java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
        final AeronTransport[] job = connectThroughRelay((datagram, length) ->
        {
            // the burst's frames only, not those of the exchange that connected the ranks
            if (armed.get() && UdpTamperingRelay.isOneDataFrame(datagram, length, LENGTH - 100))
            {
                final long position = UdpTamperingRelay.position(datagram);
                if (seen.add(position) && BURST == seen.size())
                {
                    dropped.set(position);
                    return -1;
                }
            }
            return length;
        });
        settle(job);
        final long probesBefore = job[0].tailProbeCount();
        final Burst receiver = new Burst();
        armed.set(true);
        for (int seq = 0; seq < BURST; seq++)
        {
            while (!AeronTestSupport.trySend(job[0].outbound(1), seq, LENGTH))
            {
                job[0].doWork();
                job[1].doWork();
                job[1].inbound(0).poll(receiver, 16);
            }
        }
        final long sentNs = System.nanoTime();
        long lastNs = sentNs;
        while (receiver.next < BURST && System.nanoTime() - sentNs < TimeUnit.SECONDS.toNanos(5))
        {
            job[0].doWork();
            job[1].doWork();
            job[1].inbound(0).poll(receiver, 16);
            lastNs = System.nanoTime();
        }
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(lastNs - sentNs);
        assertTrue(dropped.get() != -1, "the relay dropped the burst's last frame");
        assertEquals(BURST, receiver.next, "messages received");
        assertTrue(job[0].tailProbeCount() > probesBefore, "rank 0 probed its quiet link");
        // only a probe can reveal the gap this early: Aeron's own heartbeat comes after 100 ms without data
        assertTrue(tookMs < 90, "the burst was whole " + tookMs + " ms after it was sent");
    }

    @Test
    void aQuietLinkWhoseDataArrivedSendsItsFewProbesThenNothingAndTheReceiverSeesNone() throws Exception
    {
        final AeronTransport[] job = connectThroughRelay((datagram, length) -> length);
        settle(job);
        final Burst receiver = new Burst();
        for (int seq = 0; seq < BURST; seq++)
        {
            while (!AeronTestSupport.trySend(job[0].outbound(1), seq, LENGTH))
            {
                job[0].doWork();
            }
        }
        final long probesBefore = job[0].tailProbeCount();
        final long startNs = System.nanoTime();
        while (System.nanoTime() - startNs < TimeUnit.MILLISECONDS.toNanos(200))
        {
            job[0].doWork();
            job[1].doWork();
            job[1].inbound(0).poll(receiver, 16);
        }
        assertEquals(BURST, receiver.next, "the burst arrived, and nothing else was handed over");
        assertEquals(TailProbe.MAX_PROBES, job[0].tailProbeCount() - probesBefore,
            "probes in one quiet spell of 200 ms");
    }

    /**
     * Let whatever the connecting exchange left go out and in, so the burst's frames travel alone.
     */
    private static void settle(final AeronTransport[] job)
    {
        final long startNs = System.nanoTime();
        while (System.nanoTime() - startNs < TimeUnit.MILLISECONDS.toNanos(100))
        {
            job[0].doWork();
            job[1].doWork();
            job[1].inbound(0).poll((buffer, offset, length) -> true, 16);
            job[0].inbound(1).poll((buffer, offset, length) -> true, 16);
        }
    }

    /**
     * Receives the burst's messages 0, 1, 2... in order, each {@link #LENGTH} bytes of its pattern.
     */
    private static final class Burst implements io.ringsync.transport.MessageHandler
    {
        int next;

        public boolean onMessage(final org.agrona.DirectBuffer buffer, final int offset, final int length)
        {
            AeronTestSupport.verifyMessage(buffer, offset, length, next, LENGTH);
            next++;
            return true;
        }
    }

    private AeronTransport[] connectThroughRelay(final UdpTamperingRelay.Tamper tamper) throws Exception
    {
        final int[] ports = AeronTestSupport.freeUdpPorts(2);
        final String[] endpoints = { "127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1] };
        final UdpTamperingRelay relay = new UdpTamperingRelay(UdpTamperingRelay.address(endpoints[1]), tamper);
        closeables.add(relay);
        final long jobId = ThreadLocalRandom.current().nextLong();
        // one frame per datagram (two 1000-byte messages do not fit 1408 bytes), so the relay can pick one out
        final AeronTransport one = AeronTransport.connect(AeronTestSupport.udpContext(1, jobId, testDir, endpoints)
            .mtuLength(AeronTransport.UDP_MTU_LENGTH_DEFAULT));
        closeables.add(one);
        final AeronTransport zero = AeronTransport.connect(
            AeronTestSupport.udpContext(0, jobId, testDir, new String[]{ endpoints[0], relay.endpoint() })
                .mtuLength(AeronTransport.UDP_MTU_LENGTH_DEFAULT));
        closeables.add(zero);
        awaitConnected(zero, one, 10_000);
        return new AeronTransport[]{ zero, one };
    }
}

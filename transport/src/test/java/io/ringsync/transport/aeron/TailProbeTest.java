package io.ringsync.transport.aeron;

import io.aeron.protocol.DataHeaderFlyweight;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
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
        // the relay drops the first datagram that carries the burst's last message (whatever else is in it: a probe
        // sent before the driver got the frame out goes with it); its retransmission passes
        // written by the relay's thread, read by this one
        final java.util.concurrent.atomic.AtomicLong dropped = new java.util.concurrent.atomic.AtomicLong(-1);
        final java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
        final AeronTransport[] job = connectThroughRelay((datagram, length) ->
        {
            // the burst's frames only, not those of the exchange that connected the ranks
            if (armed.get() && dropped.get() == -1 &&
                UdpTamperingRelay.startsWithDataFrame(datagram, length, LENGTH - 100) &&
                BURST - 1 == datagram.getInt(DataHeaderFlyweight.HEADER_LENGTH, ByteOrder.LITTLE_ENDIAN))
            {
                dropped.set(UdpTamperingRelay.position(datagram));
                return -1;
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

    @Test
    void quietTimeCountsFromTheCallsStartNotFromTimeTheRankSpentAwayBetweenCalls() throws Exception
    {
        final AeronTransport[] job = connectThroughRelay((datagram, length) -> length);
        settle(job);
        // a probe of its own over rank 0's link, driven with made-up times (the transport's is not run meanwhile)
        final java.util.List<io.aeron.ExclusivePublication> link =
            java.util.List.of(((AeronOutboundLink)job[0].outbound(1)).publication);
        final long ms = TimeUnit.MILLISECONDS.toNanos(1);
        final TailProbe probe = new TailProbe(link);
        assertTrue(AeronTestSupport.trySend(job[0].outbound(1), 0, LENGTH));
        final long t0 = System.nanoTime();
        assertEquals(0, probe.doWork(t0), "the last call's data went out");
        assertEquals(0, probe.doWork(t0 + 2 * ms), "2 ms of quiet");
        // the rank computes for 6 ms, then its next call begins: quiet time starts again
        probe.callStarted(t0 + 8 * ms);
        assertEquals(0, probe.doWork(t0 + 9 * ms), "1 ms into the call, though 9 ms after the data");
        assertEquals(0, probe.doWork(t0 + 11 * ms), "3 ms into the call");
        assertEquals(1, probe.doWork(t0 + 12 * ms), "4 ms into the call");
        assertEquals(0, probe.doWork(t0 + 13 * ms), "the next probe comes one interval later");
        assertEquals(1, probe.doWork(t0 + 16 * ms), "8 ms into the call");

        // a rank descheduled inside a call keeps its quiet time: the first look after 9 ms probes
        final TailProbe descheduled = new TailProbe(link);
        assertTrue(AeronTestSupport.trySend(job[0].outbound(1), 1, LENGTH));
        final long t1 = t0 + 20 * ms;
        descheduled.callStarted(t1);
        assertEquals(0, descheduled.doWork(t1), "the call's data went out");
        assertEquals(1, descheduled.doWork(t1 + 9 * ms), "the first look after 9 ms without data");
        assertEquals(2, probe.probeCount(), "probes sent in the first call");
        assertEquals(1, descheduled.probeCount(), "probes sent in the second");
        assertEquals(TailProbe.class, job[0].capability(io.ringsync.transport.CallStarts.class).getClass(),
            "udp offers its probe's call starts to the engine");
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
        final String[] endpoints = UdpPorts.loopbackEndpoints(2);
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

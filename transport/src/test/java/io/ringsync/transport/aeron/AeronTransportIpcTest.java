package io.ringsync.transport.aeron;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.OutboundLink;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.aeron.AeronTestSupport.await;
import static io.ringsync.transport.aeron.AeronTestSupport.awaitConnected;
import static io.ringsync.transport.aeron.AeronTestSupport.exchange;
import static io.ringsync.transport.aeron.AeronTestSupport.newIdleStrategy;
import static io.ringsync.transport.aeron.AeronTestSupport.trySend;
import static io.ringsync.transport.aeron.AeronTestSupport.verifyMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AeronTransportIpcTest
{
    private static final int TERM_LENGTH = 1024 * 1024;
    private static final long CONNECT_TIMEOUT_MS = 10_000;

    private File testDir;
    private MediaDriverHost driver;
    private final List<AeronTransport> transports = new ArrayList<>();
    private AeronTransport t0;
    private AeronTransport t1;

    @BeforeEach
    void setUp()
    {
        testDir = AeronTestSupport.newTestDirectory("ipc");
        driver = MediaDriverHost.launch(new File(testDir, "aeron"), AeronMedia.IPC, TERM_LENGTH);
        final long jobId = ThreadLocalRandom.current().nextLong();
        t0 = connect(0, 2, jobId);
        t1 = connect(1, 2, jobId);
    }

    @AfterEach
    void tearDown()
    {
        CloseHelper.quietCloseAll(transports);
        CloseHelper.quietClose(driver);
        AeronTestSupport.deleteDirectory(testDir);
    }

    @Test
    void describesItsLinks()
    {
        assertEquals("ipc", t0.name());
        assertEquals(65504 - 32, t0.maxMessageLength());
        assertEquals(TERM_LENGTH / 2, t0.outbound(1).windowLength());
        assertEquals(64, t0.outbound(1).framedLength(1));
        assertEquals(64, t0.outbound(1).framedLength(32));
        assertEquals(96, t0.outbound(1).framedLength(33));
        assertEquals(65504, t0.outbound(1).framedLength(t0.maxMessageLength()));
        assertEquals(1, t0.outbound(1).peer());
        assertEquals(0, t1.inbound(0).peer());
    }

    @Test
    void sendsAndReceivesThousandMessagesEachWay()
    {
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        exchange(t0, t1, 1000, 30_000);
        assertNull(t0.lastError());
        assertNull(t1.lastError());
    }

    @Test
    void declinedMessageIsRedeliveredByNextPoll()
    {
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        final OutboundLink out = t0.outbound(1);
        final InboundLink in = t1.inbound(0);
        for (int seq = 0; seq < 3; seq++)
        {
            final int s = seq;
            await("claim of message " + seq, 5_000, () -> trySend(out, s, 100 + s));
        }

        final int[] seen = new int[8];
        final int[] offsets = new int[8];
        final int[] count = new int[1];

        // declines the first message it sees
        await("message 0 to arrive", 5_000, () ->
        {
            final int consumed = in.poll((buffer, offset, length) -> record(buffer, offset, seen, offsets, count, false), 10);
            assertEquals(0, consumed);
            return count[0] > 0;
        });
        assertEquals(1, count[0]);
        assertEquals(0, seen[0]);

        // same message again, at the same place; accept it, decline the next
        final int[] polls = new int[1];
        final int consumed = in.poll((buffer, offset, length) ->
            record(buffer, offset, seen, offsets, count, polls[0]++ == 0), 10);
        assertEquals(1, consumed);
        assertEquals(3, count[0]);
        assertEquals(0, seen[1]);
        assertEquals(offsets[0], offsets[1]);
        assertEquals(1, seen[2]);

        await("messages 1 and 2", 5_000, () ->
        {
            in.poll((buffer, offset, length) -> record(buffer, offset, seen, offsets, count, true), 10);
            return count[0] >= 5;
        });
        assertEquals(5, count[0]);
        assertEquals(1, seen[3]);
        assertEquals(offsets[2], offsets[3]);
        assertEquals(2, seen[4]);
        assertEquals(0, in.poll((buffer, offset, length) -> true, 10));
    }

    @Test
    void backPressureFillsTheWindowAndRecoversAfterDraining()
    {
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        final OutboundLink out = t0.outbound(1);
        final InboundLink in = t1.inbound(0);
        final int length = 32 * 1024;
        final int framed = out.framedLength(length);
        final long window = out.windowLength();
        assertEquals(TERM_LENGTH / 2, window);
        await("the idle window to open", 5_000, () -> out.availableWindow() == window);

        int sent = 0;
        long status;
        while (true)
        {
            status = out.tryClaim(length);
            if (status >= 0)
            {
                AeronTestSupport.writeMessage(out.buffer(), (int)status, sent, length);
                out.commit();
                sent++;
                assertTrue(sent <= 2 * window / framed, "never back pressured after " + sent + " messages");
            }
            else if (status != OutboundLink.ADMIN_ACTION)
            {
                break;
            }
        }

        assertEquals(OutboundLink.BACK_PRESSURED, status, OutboundLink.statusName(status));
        assertTrue((long)sent * framed >= window, "sent " + sent + " x " + framed + " < window " + window);
        assertTrue(out.availableWindow() < framed, "window after back pressure: " + out.availableWindow());

        final ReceiverWithLength receiver = new ReceiverWithLength(length);
        final int total = sent;
        await("the receiver to drain", 10_000, () ->
        {
            in.poll(receiver, 16);
            return receiver.next == total;
        });
        await("the window to reopen", 5_000, () -> out.availableWindow() == window);

        // and the link goes on: another window's worth, received interleaved
        final int more = sent + 3 * (int)(window / framed);
        final IdleStrategy idle = newIdleStrategy();
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (receiver.next < more)
        {
            int work = 0;
            if (sent < more && trySend(out, sent, length))
            {
                sent++;
                work++;
            }
            work += in.poll(receiver, 16);
            assertTrue(System.nanoTime() - deadlineNs < 0, "timed out after back pressure");
            idle.idle(work);
        }
        assertEquals(more, receiver.next);
    }

    @Test
    void survivorSeesLinkLostAfterPeerCloses()
    {
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        exchange(t0, t1, 10, 10_000);
        final InboundLink in = t0.inbound(1);
        final OutboundLink out = t0.outbound(1);
        assertFalse(in.isLost());

        t1.close();
        assertEquals(OutboundLink.CLOSED, t1.outbound(0).tryClaim(8));
        assertEquals(0, t1.outbound(0).availableWindow());

        final long startNs = System.nanoTime();
        await("the link from the closed rank to be lost", 15_000, () ->
        {
            in.poll((buffer, offset, length) -> true, 16);
            return in.isLost();
        });
        final long lostMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);

        await("the link to the closed rank to disconnect", 15_000, () ->
        {
            final long result = out.tryClaim(8);
            if (result >= 0)
            {
                out.abort();
            }
            return OutboundLink.NOT_CONNECTED == result;
        });
        assertEquals(0, out.availableWindow());
        System.out.println("IPC: inbound link lost " + lostMs + " ms after the peer closed");
    }

    @Test
    void linksAreNotConnectedNorLostBeforePeersArrive()
    {
        final AeronTransport lonely = connect(0, 3, ThreadLocalRandom.current().nextLong());
        final OutboundLink out = lonely.outbound(2);
        assertEquals(OutboundLink.NOT_CONNECTED, out.tryClaim(64));
        assertEquals(0, out.availableWindow());
        assertFalse(lonely.inbound(1).isLost());
        assertEquals(0, lonely.inbound(1).poll((buffer, offset, length) -> true, 10));
        assertFalse(lonely.isConnected(1));
    }

    @Test
    void hotPathDoesNotAllocate()
    {
        final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean, "no allocation counter");
        final com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean)threads;
        final long threadId = Thread.currentThread().getId();

        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        final OutboundLink out = t0.outbound(1);
        final InboundLink in = t1.inbound(0);
        final CountingHandler handler = new CountingHandler();
        final IdleStrategy idle = newIdleStrategy();

        pump(out, in, handler, idle, 20_000);
        // steady state means some round allocates nothing at all: one-off allocations (JIT, class loading)
        // can land in any round, while a per-message allocation would cost >= 20000 x 16 bytes in every round
        long fewest = Long.MAX_VALUE;
        for (int round = 0; round < 5 && fewest > 0; round++)
        {
            final long before = counter.getThreadAllocatedBytes(threadId);
            pump(out, in, handler, idle, 20_000);
            fewest = Math.min(fewest, counter.getThreadAllocatedBytes(threadId) - before);
        }

        assertEquals(0, handler.count % 20_000);
        assertEquals(0, fewest, "hot path allocated " + fewest + " bytes for 20000 messages in its best round");
    }

    private static void pump(
        final OutboundLink out, final InboundLink in, final CountingHandler handler, final IdleStrategy idle, final int n)
    {
        final long target = handler.count + n;
        int sent = 0;
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (handler.count < target)
        {
            int work = 0;
            if (sent < n && out.availableWindow() > 0)
            {
                final long offset = out.tryClaim(1024);
                if (offset >= 0)
                {
                    out.buffer().putInt((int)offset, sent);
                    out.commit();
                    sent++;
                    work++;
                }
            }
            work += in.poll(handler, 16);
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new AssertionError("pump timed out");
            }
            idle.idle(work);
        }
    }

    static final class CountingHandler implements io.ringsync.transport.MessageHandler
    {
        long count;

        public boolean onMessage(final DirectBuffer buffer, final int offset, final int length)
        {
            count++;
            return true;
        }
    }

    private AeronTransport connect(final int rank, final int worldSize, final long jobId)
    {
        final AeronTransport transport = AeronTransport.connect(new AeronTransport.Context()
            .rank(rank)
            .worldSize(worldSize)
            .jobId(jobId)
            .media(AeronMedia.IPC)
            .aeronDirectoryName(driver.aeronDirectoryName())
            .termLength(TERM_LENGTH));
        transports.add(transport);
        return transport;
    }

    private static boolean record(
        final DirectBuffer buffer,
        final int offset,
        final int[] seen,
        final int[] offsets,
        final int[] count,
        final boolean accept)
    {
        seen[count[0]] = buffer.getInt(offset);
        offsets[count[0]] = offset;
        count[0]++;
        return accept;
    }

    static final class ReceiverWithLength implements io.ringsync.transport.MessageHandler
    {
        private final int length;
        int next;

        ReceiverWithLength(final int length)
        {
            this.length = length;
        }

        public boolean onMessage(final DirectBuffer buffer, final int offset, final int length)
        {
            verifyMessage(buffer, offset, length, next, this.length);
            next++;
            return true;
        }
    }
}

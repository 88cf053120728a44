package io.ringsync.transport.shm;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.OutboundLink;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.shm.ShmTestSupport.await;
import static io.ringsync.transport.shm.ShmTestSupport.awaitConnected;
import static io.ringsync.transport.shm.ShmTestSupport.context;
import static io.ringsync.transport.shm.ShmTestSupport.lengthOf;
import static io.ringsync.transport.shm.ShmTestSupport.trySend;
import static io.ringsync.transport.shm.ShmTestSupport.verifyMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShmTransportTest
{
    private static final long CONNECT_TIMEOUT_MS = 10_000;
    private static final int SLOT_LENGTH = ShmTransport.SLOT_LENGTH_DEFAULT;
    private static final int SLOT_COUNT = ShmTransport.SLOT_COUNT_DEFAULT;

    private File dir;
    private long jobId;
    private final List<ShmTransport> transports = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        dir = ShmTestSupport.newTestDirectory("pair");
        jobId = ThreadLocalRandom.current().nextLong();
    }

    @AfterEach
    void tearDown()
    {
        CloseHelper.quietCloseAll(transports);
        ShmTestSupport.deleteDirectory(dir);
    }

    @Test
    void describesItsLinks()
    {
        final ShmTransport t0 = connect(0, 2);

        assertEquals("shm", t0.name());
        assertEquals(0, t0.rank());
        assertEquals(2, t0.worldSize());
        assertEquals(32 * 1024 + 64, t0.maxMessageLength());
        final OutboundLink out = t0.outbound(1);
        assertEquals(1, out.peer());
        assertEquals(0, connect(1, 2).inbound(0).peer());
        assertEquals((long)SLOT_COUNT * SLOT_LENGTH, out.windowLength());
        assertEquals(SLOT_LENGTH, out.framedLength(0));
        assertEquals(SLOT_LENGTH, out.framedLength(1));
        assertEquals(SLOT_LENGTH, out.framedLength(t0.maxMessageLength()));
        assertThrows(NullPointerException.class, () -> t0.outbound(0));
        assertThrows(NullPointerException.class, () -> t0.inbound(0));
    }

    @Test
    void concludeFillsInDefaultsAndRejectsBadSettings()
    {
        final ShmTransport.Context small = context(dir, jobId, 0, 2).conclude();
        assertEquals(ShmTransport.SLOT_COUNT_DEFAULT, small.slotCount());
        assertEquals(ShmTransport.SLOT_LENGTH_DEFAULT, small.slotLength());
        assertEquals(ShmTransport.defaultSlotCount(10, ShmTransport.SLOT_LENGTH_DEFAULT),
            context(dir, jobId, 0, 10).conclude().slotCount());
        assertEquals(3, context(dir, jobId, 0, 10).slotCount(3).conclude().slotCount());
        assertThrows(IllegalStateException.class, small::conclude);

        assertRejected("worldSize", context(dir, jobId, 0, 0));
        assertRejected("rank", context(dir, jobId, 2, 2));
        assertRejected("rank", context(dir, jobId, -1, 2));
        assertRejected("directory", context(null, jobId, 0, 2));
        assertRejected("slotLength", context(dir, jobId, 0, 2).slotLength(64));
        assertRejected("slotLength", context(dir, jobId, 0, 2).slotLength(1000));
        assertRejected("slotCount", context(dir, jobId, 0, 2).slotCount(1));
        assertRejected("slotCount", context(dir, jobId, 0, 2).slotCount(1 << 20).slotLength(1 << 20));
        assertRejected("connectTimeoutNs", context(dir, jobId, 0, 2).connectTimeoutNs(0));
    }

    @Test
    void notConnectedUntilThePeerHasMappedTheFile()
    {
        final ShmTransport t0 = connect(0, 2);
        assertEquals(OutboundLink.NOT_CONNECTED, t0.outbound(1).tryClaim(64));
        assertEquals(0, t0.outbound(1).availableWindow());
        assertEquals(0, t0.inbound(1).poll((buffer, offset, length) -> true, 10));
        assertFalse(t0.inbound(1).isLost());
        assertTrue(t0.linkStatus(1).contains("waiting for rank 1"), t0.linkStatus(1));

        final ShmTransport t1 = connect(1, 2);
        // the file is there but rank 1 has not polled yet: still not connected
        assertEquals(OutboundLink.NOT_CONNECTED, t0.outbound(1).tryClaim(64));

        assertEquals(0, t1.inbound(0).poll((buffer, offset, length) -> true, 10));
        assertTrue(t0.outbound(1).tryClaim(64) >= 0);
        t0.outbound(1).abort();
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        assertTrue(t0.linkStatus(1).contains("connected"), t0.linkStatus(1));
    }

    @Test
    void exchangesHundredThousandMessagesEachWayInOrder() throws Exception
    {
        final ShmTransport t0 = connect(0, 2);
        final ShmTransport t1 = connect(1, 2);
        final int count = 100_000;
        final ExecutorService pool = Executors.newFixedThreadPool(2);
        try
        {
            final Future<?> f0 = pool.submit(() -> exchange(t0, 1, count));
            final Future<?> f1 = pool.submit(() -> exchange(t1, 0, count));
            f0.get(50, TimeUnit.SECONDS);
            f1.get(50, TimeUnit.SECONDS);
        }
        finally
        {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(5, TimeUnit.SECONDS));
        }
        assertFalse(t0.inbound(1).isLost());
        assertFalse(t1.inbound(0).isLost());
    }

    @Test
    void messagesAndPayloadsAre64ByteAligned()
    {
        final ShmTransport t0 = connect(0, 2);
        final ShmTransport t1 = connect(1, 2);
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        final OutboundLink out = t0.outbound(1);
        for (int i = 0; i < SLOT_COUNT + 3; i++)
        {
            final long offset = out.tryClaim(64 + 100);
            assertTrue(offset >= 0);
            assertEquals(0, (out.buffer().addressOffset() + offset) % 64, "message start");
            assertEquals(0, (out.buffer().addressOffset() + offset + 64) % 64, "payload start");
            out.buffer().putLong((int)offset, i);
            out.commit();
            final int index = i;
            assertEquals(1, t1.inbound(0).poll((buffer, at, length) ->
            {
                assertEquals(0, (buffer.addressOffset() + at) % 64, "message start, reader side");
                assertEquals(index, buffer.getLong(at));
                return true;
            }, 10));
        }
    }

    @Test
    void aDeclinedMessageIsOfferedAgainFirst()
    {
        final ShmTransport t0 = connect(0, 2);
        final ShmTransport t1 = connect(1, 2);
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        for (int seq = 0; seq < 3; seq++)
        {
            assertTrue(trySend(t0.outbound(1), seq, 100));
        }

        final List<Integer> seen = new ArrayList<>();
        final int[] declines = { 1 };
        final InboundLink in = t1.inbound(0);
        final int first = in.poll((buffer, offset, length) ->
        {
            final int seq = buffer.getInt(offset);
            seen.add(seq);
            if (seq == 1 && declines[0]-- > 0)
            {
                return false;
            }
            verifyMessage(buffer, offset, length, seq, 100);
            return true;
        }, 10);
        assertEquals(1, first);
        final int second = in.poll((buffer, offset, length) ->
        {
            seen.add(buffer.getInt(offset));
            return true;
        }, 10);
        assertEquals(2, second);
        assertEquals(Arrays.asList(0, 1, 1, 2), seen);
    }

    @Test
    void aHandlerThatThrowsLeavesItsMessageAtTheHead()
    {
        final ShmTransport t0 = connect(0, 2);
        final ShmTransport t1 = connect(1, 2);
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        assertTrue(trySend(t0.outbound(1), 0, lengthOf(0, t0.maxMessageLength())));
        assertTrue(trySend(t0.outbound(1), 1, lengthOf(1, t0.maxMessageLength())));

        final InboundLink in = t1.inbound(0);
        assertThrows(IllegalStateException.class, () -> in.poll((buffer, offset, length) ->
        {
            throw new IllegalStateException("handler failure");
        }, 10));
        final ShmTestSupport.Receiver receiver = new ShmTestSupport.Receiver(t1.maxMessageLength());
        assertEquals(2, in.poll(receiver, 10));
        assertEquals(2, receiver.next);
    }

    @Test
    void backPressuredWhenEverySlotIsTakenThenDrainsInOrder()
    {
        final ShmTransport t0 = connect(0, 2);
        final ShmTransport t1 = connect(1, 2);
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        final OutboundLink out = t0.outbound(1);
        final int max = t0.maxMessageLength();
        assertEquals(out.windowLength(), out.availableWindow());

        int sent = 0;
        while (trySend(out, sent, lengthOf(sent, max)))
        {
            sent++;
            assertEquals((long)(SLOT_COUNT - sent) * SLOT_LENGTH, out.availableWindow());
        }
        assertEquals(SLOT_COUNT, sent);
        assertEquals(0, out.availableWindow());
        assertEquals(OutboundLink.BACK_PRESSURED, out.tryClaim(8));

        final ShmTestSupport.Receiver receiver = new ShmTestSupport.Receiver(max);
        assertEquals(1, t1.inbound(0).poll(receiver, 1));
        assertEquals(SLOT_LENGTH, out.availableWindow());
        assertTrue(trySend(out, sent, lengthOf(sent, max)));
        sent++;
        assertEquals(0, out.availableWindow());

        while (receiver.next < sent)
        {
            assertTrue(t1.inbound(0).poll(receiver, 5) > 0);
        }
        assertEquals(0, t1.inbound(0).poll(receiver, 5));
        assertEquals(out.windowLength(), out.availableWindow());
    }

    @Test
    void abortGivesTheSlotBack()
    {
        final ShmTransport t0 = connect(0, 2);
        final ShmTransport t1 = connect(1, 2);
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        final OutboundLink out = t0.outbound(1);

        final long first = out.tryClaim(100);
        assertEquals(out.windowLength() - SLOT_LENGTH, out.availableWindow());
        out.abort();
        assertEquals(out.windowLength(), out.availableWindow());
        assertEquals(first, out.tryClaim(100));
        out.abort();
        out.commit();
        assertEquals(0, t1.inbound(0).poll((buffer, offset, length) -> true, 10));
    }

    @Test
    void refusesAMessageLongerThanASlotNamingTheMaximum()
    {
        final ShmTransport t0 = connect(0, 2);
        final int max = t0.maxMessageLength();
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> t0.outbound(1).tryClaim(max + 1));
        assertTrue(ex.getMessage().contains(Integer.toString(max)), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t0.outbound(1).tryClaim(-1));
    }

    @Test
    void lostAfterThePeerClosesButOnlyOnceDrained()
    {
        final ShmTransport t0 = connect(0, 2);
        final ShmTransport t1 = connect(1, 2);
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        final int max = t1.maxMessageLength();
        for (int seq = 0; seq < 5; seq++)
        {
            assertTrue(trySend(t1.outbound(0), seq, lengthOf(seq, max)));
        }
        t1.close();
        assertFalse(new File(dir, "link-1-0.shm").exists(), "rank 1 deleted its file");

        final InboundLink in = t0.inbound(1);
        assertFalse(in.isLost(), "five messages are still waiting");
        final ShmTestSupport.Receiver receiver = new ShmTestSupport.Receiver(max);
        assertEquals(2, in.poll(receiver, 2));
        assertFalse(in.isLost(), "three messages are still waiting");
        assertEquals(3, in.poll(receiver, 10));
        assertTrue(in.isLost());
        assertTrue(t0.linkStatus(1).contains("closed"), t0.linkStatus(1));

        // rank 1 closed its inbound link too: rank 0's claims fail for good
        assertEquals(OutboundLink.CLOSED, t0.outbound(1).tryClaim(64));
        assertEquals(0, t0.outbound(1).availableWindow());
    }

    @Test
    void filesAreOwnerOnly() throws Exception
    {
        final File jobDir = new File(dir, "job");
        final ShmTransport t0 = connect(context(jobDir, jobId, 0, 2));
        connect(context(jobDir, jobId, 1, 2));

        assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(jobDir.toPath()));
        for (final String name : new String[]{ "link-0-1.shm", "link-1-0.shm" })
        {
            assertEquals(PosixFilePermissions.fromString("rw-------"),
                Files.getPosixFilePermissions(new File(jobDir, name).toPath()), name);
        }
        assertEquals(ShmLinkDescriptor.fileLength(SLOT_COUNT, SLOT_LENGTH), new File(jobDir, "link-0-1.shm").length());
        assertEquals(jobDir.getAbsoluteFile(), t0.context().directory());
    }

    @Test
    void closeDeletesOnlyItsOwnFilesAndNeverThrows()
    {
        final ShmTransport t0 = connect(0, 3);
        final ShmTransport t1 = connect(1, 3);
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        assertEquals(List.of("link-0-1.shm", "link-0-2.shm", "link-1-0.shm", "link-1-2.shm"), listDirectory());

        t0.close();
        assertEquals(List.of("link-1-0.shm", "link-1-2.shm"), listDirectory());
        t0.close();
        assertEquals(OutboundLink.CLOSED, t0.outbound(1).tryClaim(64));
        assertEquals(0, t0.outbound(1).availableWindow());
        t0.outbound(1).commit();
        assertEquals(0, t0.inbound(1).poll((buffer, offset, length) -> true, 10));
        assertTrue(t0.inbound(1).isLost());

        ShmTestSupport.deleteDirectory(dir);
        t1.close();
        assertTrue(t1.inbound(0).isLost());
    }

    @Test
    void ignoresAFileOfAnotherJobUntilItsRightfulWriterReplacesIt()
    {
        final ShmTransport foreign = connect(context(dir, jobId + 1, 1, 2));
        final ShmTransport t0 = connect(0, 2);
        pollFor(t0, 50);
        assertFalse(t0.isConnected(1));
        assertTrue(t0.linkStatus(1).contains("job id"), t0.linkStatus(1));

        final ShmTransport t1 = connect(1, 2);
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        assertTrue(trySend(t1.outbound(0), 0, lengthOf(0, t1.maxMessageLength())));
        final ShmTestSupport.Receiver receiver = new ShmTestSupport.Receiver(t0.maxMessageLength());
        await("the message", CONNECT_TIMEOUT_MS, () -> t0.inbound(1).poll(receiver, 10) > 0);

        // the foreign writer's close must not delete the file that replaced its own
        foreign.close();
        assertTrue(new File(dir, "link-1-0.shm").exists());
    }

    @Test
    void ignoresAFileLeftByAWriterThatIsGone()
    {
        final File stale = new File(dir, "link-1-0.shm");
        final MappedByteBuffer mapped = IoUtil.mapNewFile(stale, ShmLinkDescriptor.fileLength(4, SLOT_LENGTH));
        try
        {
            // pid 2^31 - 1 is above any pid_max: no such process
            ShmLinkDescriptor.initialise(new UnsafeBuffer(mapped), 4, SLOT_LENGTH, jobId, 1, 0, Integer.MAX_VALUE, 0);
        }
        finally
        {
            IoUtil.unmap(mapped);
        }

        final ShmTransport t0 = connect(0, 2);
        pollFor(t0, 50);
        assertFalse(t0.isConnected(1));
        assertTrue(t0.linkStatus(1).contains("stale"), t0.linkStatus(1));

        final ShmTransport t1 = connect(1, 2);
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
    }

    @Test
    void aLinkWhosePeerNeverComesEndsAfterTheConnectTimeout()
    {
        final ShmTransport t0 = connect(context(dir, jobId, 0, 2).connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(100)));
        assertEquals(OutboundLink.NOT_CONNECTED, t0.outbound(1).tryClaim(64));
        assertFalse(t0.inbound(1).isLost());

        await("the connect timeout", CONNECT_TIMEOUT_MS,
            () -> t0.outbound(1).tryClaim(64) == OutboundLink.CLOSED && t0.inbound(1).isLost());
        assertTrue(t0.linkStatus(1).contains("did not"), t0.linkStatus(1));
    }

    @Test
    void offerCopiesAWholeMessage()
    {
        final ShmTransport t0 = connect(0, 2);
        final ShmTransport t1 = connect(1, 2);
        awaitConnected(t0, t1, CONNECT_TIMEOUT_MS);
        final UnsafeBuffer src = new UnsafeBuffer(new byte[300]);
        ShmTestSupport.writeMessage(src, 0, 7, 300);
        assertTrue(t0.outbound(1).offer(src, 0, 300) >= 0);
        final int[] received = new int[1];
        assertEquals(1, t1.inbound(0).poll((DirectBuffer buffer, int offset, int length) ->
        {
            verifyMessage(buffer, offset, length, 7, 300);
            received[0]++;
            return true;
        }, 10));
        assertEquals(1, received[0]);
    }

    private ShmTransport connect(final int rank, final int worldSize)
    {
        return connect(context(dir, jobId, rank, worldSize));
    }

    private ShmTransport connect(final ShmTransport.Context ctx)
    {
        final ShmTransport transport = ShmTransport.connect(ctx);
        transports.add(transport);
        return transport;
    }

    private List<String> listDirectory()
    {
        final String[] names = dir.list();
        assertNotEquals(null, names);
        Arrays.sort(names);
        return Arrays.asList(names);
    }

    /**
     * Poll and do work for a while, giving the transport time to look at (and refuse) files several times.
     */
    private static void pollFor(final ShmTransport transport, final long millis)
    {
        final long endNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() - endNs < 0)
        {
            transport.doWork();
            for (int peer = 0; peer < transport.worldSize(); peer++)
            {
                if (peer != transport.rank())
                {
                    transport.inbound(peer).poll((buffer, offset, length) -> true, 10);
                }
            }
            Thread.yield();
        }
    }

    private static void assertRejected(final String setting, final ShmTransport.Context ctx)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, ctx::conclude);
        assertTrue(ex.getMessage().startsWith(setting + "=") || ex.getMessage().startsWith(setting + " is not set"),
            ex.getMessage());
    }

    /**
     * One side of the exchange test: send {@code count} messages to {@code peer} and receive as many from it,
     * interleaved, on this thread only.
     */
    static void exchange(final ShmTransport self, final int peer, final int count)
    {
        final OutboundLink out = self.outbound(peer);
        final InboundLink in = self.inbound(peer);
        final int max = self.maxMessageLength();
        final ShmTestSupport.Receiver receiver = new ShmTestSupport.Receiver(max);
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
        int sent = 0;
        while (sent < count || receiver.next < count)
        {
            int work = 0;
            if (sent < count && trySend(out, sent, lengthOf(sent, max)))
            {
                sent++;
                work++;
            }
            work += in.poll(receiver, 16);
            work += self.doWork();
            if (0 == work)
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new AssertionError("rank " + self.rank() + " sent " + sent + " and received " +
                        receiver.next + " of " + count + "; " + self.linkStatus(peer));
                }
                Thread.yield();
            }
        }
    }
}

package io.ringsync.transport.tcp;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.InboundWaiter;
import io.ringsync.transport.MessageHandler;
import io.ringsync.transport.OutboundLink;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.tcp.TcpTestSupport.await;
import static io.ringsync.transport.tcp.TcpTestSupport.awaitConnected;
import static io.ringsync.transport.tcp.TcpTestSupport.exchangeEveryLength;
import static io.ringsync.transport.tcp.TcpTestSupport.context;
import static io.ringsync.transport.tcp.TcpTestSupport.loopbackEndpoints;
import static io.ringsync.transport.tcp.TcpTestSupport.offer;
import static io.ringsync.transport.tcp.TcpTestSupport.pattern;
import static io.ringsync.transport.tcp.TcpTestSupport.pollUntil;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpTransportTest
{
    private final List<TcpTransport> transports = new ArrayList<>();
    private final long jobId = ThreadLocalRandom.current().nextLong();

    @AfterEach
    void tearDown()
    {
        CloseHelper.quietCloseAll(transports);
    }

    private TcpTransport connect(final TcpTransport.Context ctx)
    {
        final TcpTransport transport = TcpTransport.connect(ctx);
        transports.add(transport);
        return transport;
    }

    private TcpTransport[] job(final String[] endpoints, final int windowLength)
    {
        final TcpTransport[] job = new TcpTransport[endpoints.length];
        for (int rank = 0; rank < endpoints.length; rank++)
        {
            job[rank] = connect(context(rank, endpoints, jobId).windowLength(windowLength));
        }
        awaitConnected(job);
        return job;
    }

    @Test
    void roundTripsMessagesOfEveryLengthBothWaysInOrder()
    {
        final TcpTransport[] job = job(loopbackEndpoints(2), 64 * 1024);
        final int max = job[0].maxMessageLength();
        assertEquals(64 * 1024 / 8 - 8, max);
        assertEquals("tcp", job[0].name());
        exchangeEveryLength(job, 50);
    }

    @Test
    void refusesMessagesLongerThanTheMaximum()
    {
        final TcpTransport[] job = job(loopbackEndpoints(2), 64 * 1024);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> job[0].outbound(1).tryClaim(job[0].maxMessageLength() + 1));
        assertTrue(ex.getMessage().contains(Integer.toString(job[0].maxMessageLength())), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> job[0].outbound(1).tryClaim(-1));
    }

    @Test
    void windowIsExactEndToEndAndCreditsComeBackOnlyWhenConsumed()
    {
        final int window = 16 * 1024;
        final TcpTransport[] job = job(loopbackEndpoints(2), window);
        final OutboundLink out = job[0].outbound(1);
        final InboundLink in = job[1].inbound(0);
        // the ring holds a whole window; the receiver may keep up to an eighth of it consumed but uncredited
        assertEquals(window - window / 8, out.windowLength());
        assertEquals(window, out.availableWindow());

        // fill the window with the receiver not polling: exactly windowLength bytes of frames, then back pressure
        final int length = 1000;
        final int framed = out.framedLength(length);
        assertEquals(1008, framed);
        long committed = 0;
        int sent = 0;
        while (true)
        {
            final long before = out.availableWindow();
            final long offset = out.tryClaim(length);
            if (offset == OutboundLink.BACK_PRESSURED)
            {
                break;
            }
            assertTrue(offset >= 0, OutboundLink.statusName(offset));
            out.buffer().putInt((int)offset, sent);
            out.commit();
            sent++;
            final long used = before - out.availableWindow();
            // a frame, plus the rest of the ring as padding when it wrapped
            assertTrue(used == framed || (offset == 8 && used > framed && used < 2 * framed), "used " + used);
            committed += used;
            assertTrue(committed <= window, "in flight " + committed + " > window " + window);
        }
        assertEquals(window / framed, sent);
        final long inFlight = committed;
        final int total = sent;
        assertEquals(window - inFlight, out.availableWindow());
        await("bytes to reach the receiver's ring", 5_000, () ->
        {
            ((TcpInboundLink)in).receive();
            return ((TcpInboundLink)in).bytesReceived() == ((TcpOutboundLink)out).bytesCommitted();
        }, job);

        // declining consumes nothing and returns no credit
        final int[] offered = { 0 };
        final MessageHandler decline = (buffer, offset, len) ->
        {
            offered[0]++;
            return false;
        };
        assertEquals(0, in.poll(decline, 10));
        assertEquals(0, in.poll(decline, 10));
        assertEquals(2, offered[0]);
        sleepMs(50);
        assertEquals(window - inFlight, out.availableWindow());
        assertEquals(OutboundLink.BACK_PRESSURED, out.tryClaim(length));

        // consuming half returns that much window, in order
        final int[] next = { 0 };
        final MessageHandler accept = (buffer, offset, len) ->
        {
            assertEquals(length, len);
            assertEquals(next[0]++, buffer.getInt(offset));
            return true;
        };
        assertEquals(total / 2, in.poll(accept, total / 2));
        // a credit goes once a batch of window / 8 bytes was consumed since the last one, checked after each frame:
        // every perCredit frames here, so the frames after the last such one stay uncredited
        final int perCredit = (window / 8 + framed - 1) / framed;
        final long creditedHalf = (long)(total / 2 / perCredit * perCredit) * framed;
        await("credits for half the window", 5_000, () -> out.availableWindow() == window - inFlight + creditedHalf,
            job);
        assertEquals(total - total / 2, pollUntil(in, accept, total - total / 2, 5_000));
        final long uncredited = (long)(total % perCredit) * framed;
        await("the window back but the last part batch", 5_000, () -> out.availableWindow() == window - uncredited,
            job);
        assertEquals(uncredited, ((TcpOutboundLink)out).bytesInFlight());
        assertTrue(out.availableWindow() >= out.windowLength());
    }

    @Test
    void wrapsAroundTheRingManyTimesWithoutSplittingAMessage()
    {
        final int window = 8 * 1024;
        final TcpTransport[] job = job(loopbackEndpoints(2), window);
        final OutboundLink out = job[0].outbound(1);
        final InboundLink in = job[1].inbound(0);
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        final int count = 5_000;
        final int[] lengths = new int[count];
        for (int i = 0; i < count; i++)
        {
            lengths[i] = random.nextInt(job[0].maxMessageLength() + 1);
        }
        int sent = 0;
        final int[] received = { 0 };
        final MessageHandler check = (buffer, offset, length) ->
        {
            final int i = received[0];
            assertEquals(lengths[i], length);
            assertTrue(offset + length <= buffer.capacity(), "a message crosses the end of the ring");
            final byte[] actual = new byte[length];
            buffer.getBytes(offset, actual);
            assertArrayEquals(pattern(i, length), actual);
            received[0]++;
            return true;
        };
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (received[0] < count)
        {
            if (sent < count)
            {
                final long offset = out.tryClaim(lengths[sent]);
                if (offset >= 0)
                {
                    out.buffer().putBytes((int)offset, pattern(sent, lengths[sent]));
                    out.commit();
                    sent++;
                }
                else
                {
                    assertEquals(OutboundLink.BACK_PRESSURED, offset);
                }
            }
            job[0].doWork();
            in.poll(check, 3);
            assertTrue(System.nanoTime() - deadlineNs < 0, "stuck at " + received[0] + " of " + count);
        }
        assertTrue(((TcpOutboundLink)out).bytesCommitted() > 50L * window, "the ring did not wrap often enough");
    }

    @Test
    void declinedMessageStaysAtTheHeadWhileTheSocketKeepsDraining()
    {
        final TcpTransport[] job = job(loopbackEndpoints(2), 64 * 1024);
        for (int i = 0; i < 5; i++)
        {
            offer(job[0].outbound(1), job[0], pattern(i, 100), 5_000);
        }
        final TcpInboundLink in = (TcpInboundLink)job[1].inbound(0);
        await("everything read from the socket while the head is declined", 5_000, () ->
        {
            assertEquals(0, in.poll((buffer, offset, length) -> false, 10));
            return in.bytesReceived() == 5 * 112;
        }, job);
        final List<Integer> firstBytes = new ArrayList<>();
        assertEquals(2, in.poll((buffer, offset, length) ->
        {
            firstBytes.add((int)buffer.getByte(offset));
            return firstBytes.size() <= 2;
        }, 10));
        assertEquals(List.of((int)pattern(0, 1)[0], (int)pattern(1, 1)[0], (int)pattern(2, 1)[0]), firstBytes);
        assertEquals(3, in.poll((buffer, offset, length) ->
        {
            firstBytes.add((int)buffer.getByte(offset));
            return true;
        }, 10));
        assertEquals((int)pattern(2, 1)[0], firstBytes.get(3));
    }

    @Test
    void aThrowingHandlerLeavesItsMessageAtTheHead()
    {
        final TcpTransport[] job = job(loopbackEndpoints(2), 64 * 1024);
        offer(job[0].outbound(1), job[0], pattern(1, 10), 5_000);
        final InboundLink in = job[1].inbound(0);
        await("a message", 5_000, () -> in.poll((buffer, offset, length) -> false, 1) == 0 &&
            ((TcpInboundLink)in).hasWholeFrame(), job);
        assertThrows(IllegalStateException.class, () -> in.poll((buffer, offset, length) ->
        {
            throw new IllegalStateException("handler failure");
        }, 1));
        assertEquals(1, in.poll((buffer, offset, length) -> length == 10, 1));
    }

    @Test
    void peerClosingDeliversEverythingThenLinkIsLostAndOtherDirectionClosed()
    {
        final TcpTransport[] job = job(loopbackEndpoints(2), 64 * 1024);
        for (int i = 0; i < 20; i++)
        {
            offer(job[0].outbound(1), job[0], pattern(i, 3000), 5_000);
        }
        job[0].close();
        final InboundLink in = job[1].inbound(0);
        final int[] next = { 0 };
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (next[0] < 20)
        {
            assertFalse(in.isLost(), "lost with " + next[0] + " of 20 messages delivered");
            in.poll((buffer, offset, length) ->
            {
                final byte[] actual = new byte[length];
                buffer.getBytes(offset, actual);
                assertArrayEquals(pattern(next[0]++, 3000), actual);
                return true;
            }, 5);
            assertTrue(System.nanoTime() - deadlineNs < 0);
        }
        await("the link from the closed rank to be lost", 5_000, in::isLost);
        assertTrue(job[1].linkStatus(0).contains("closed the link"), job[1].linkStatus(0));

        // rank 1 sending to the closed rank: CLOSED once the kernel reports the reset
        final OutboundLink out = job[1].outbound(0);
        await("CLOSED towards the closed rank", 5_000, () ->
        {
            final long result = out.tryClaim(100);
            if (result >= 0)
            {
                out.commit();
            }
            return result == OutboundLink.CLOSED;
        }, job[1]);
        assertEquals(0, out.availableWindow());
    }

    @Test
    void receiverClosingMakesTheSenderClosed()
    {
        final TcpTransport[] job = job(loopbackEndpoints(2), 64 * 1024);
        offer(job[0].outbound(1), job[0], pattern(0, 100), 5_000);
        job[1].close();
        final OutboundLink out = job[0].outbound(1);
        await("CLOSED after the receiver closed", 5_000, () ->
        {
            final long result = out.tryClaim(100);
            if (result >= 0)
            {
                out.commit();
            }
            return result == OutboundLink.CLOSED || out.availableWindow() == 0 && ((TcpOutboundLink)out).isEnded();
        }, job[0]);
        assertTrue(job[0].linkStatus(1).contains("ended"), job[0].linkStatus(1));
    }

    @Test
    void connectsToAPeerThatStartsListeningLater()
    {
        final String[] endpoints = loopbackEndpoints(2);
        final TcpTransport first = connect(context(0, endpoints, jobId));
        assertEquals(OutboundLink.NOT_CONNECTED, first.outbound(1).tryClaim(10));
        assertEquals(0, first.outbound(1).availableWindow());
        assertFalse(first.inbound(1).isLost());
        sleepMs(300);
        assertTrue(first.linkStatus(1).contains("connecting"), first.linkStatus(1));
        final TcpTransport second = connect(context(1, endpoints, jobId));
        awaitConnected(first, second);
        offer(first.outbound(1), first, pattern(9, 50), 5_000);
        assertEquals(1, pollUntil(second.inbound(0), (b, o, l) -> l == 50, 1, 5_000));
    }

    @Test
    void aPeerThatNeverComesEndsTheLinksAfterTheConnectTimeoutWithAReason()
    {
        final String[] endpoints = loopbackEndpoints(2);
        final TcpTransport lonely = connect(context(0, endpoints, jobId)
            .connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(400)));
        await("the outbound link to give up", 5_000, () -> lonely.outbound(1).tryClaim(1) == OutboundLink.CLOSED);
        await("the inbound link to give up", 5_000, () -> lonely.inbound(1).isLost());
        final String status = lonely.linkStatus(1);
        assertTrue(status.contains("could not connect to rank 1 at " + endpoints[1]), status);
        assertTrue(status.contains("did not connect within 400 ms"), status);
    }

    @Test
    void unresolvableHostIsRetriedUntilTheTimeout()
    {
        final String[] endpoints = loopbackEndpoints(2);
        endpoints[1] = "no-such-host.invalid:" + endpoints[1].split(":")[1];
        final TcpTransport t = connect(context(0, endpoints, jobId).connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(300)));
        await("the link to give up", 10_000, () -> t.outbound(1).tryClaim(1) == OutboundLink.CLOSED);
        assertTrue(t.linkStatus(1).contains("cannot resolve no-such-host.invalid"), t.linkStatus(1));
    }

    @Test
    void refusesForeignConnectionsAndCountsThem() throws IOException
    {
        final String[] endpoints = loopbackEndpoints(2);
        final TcpTransport[] job = job(endpoints, 64 * 1024);
        final InetSocketAddress address = job[1].listenAddress();
        assertEquals(0, job[1].rejectedConnections());

        // not a preamble at all: closed without an answer
        try (Socket socket = new Socket(address.getAddress(), address.getPort()))
        {
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            assertEquals(-1, socket.getInputStream().read());
        }
        await("the foreign client to be counted", 5_000, () -> job[1].rejectedConnections() == 1);
        assertTrue(job[1].lastRejection().contains("not a ringsync tcp preamble"), job[1].lastRejection());

        // well formed but wrong: each refused with its status
        assertEquals(TcpProtocol.STATUS_WRONG_JOB, handshake(address, jobId + 1, 0, 0, 1, 64 * 1024));
        assertEquals(TcpProtocol.STATUS_NO_SUCH_MESH, handshake(address, jobId, 99, 0, 1, 64 * 1024));
        assertEquals(TcpProtocol.STATUS_WRONG_RANK, handshake(address, jobId, 0, 0, 0, 64 * 1024));
        assertEquals(TcpProtocol.STATUS_WRONG_RANK, handshake(address, jobId, 0, 1, 1, 64 * 1024));
        assertEquals(TcpProtocol.STATUS_WINDOW_MISMATCH, handshake(address, jobId, 0, 0, 1, 128 * 1024));
        // rank 0's link to rank 1 is connected already
        assertEquals(TcpProtocol.STATUS_DUPLICATE, handshake(address, jobId, 0, 0, 1, 64 * 1024));
        await("every refusal to be counted", 5_000, () -> job[1].rejectedConnections() == 7);
        assertTrue(job[1].lastRejection().contains("already connected"), job[1].lastRejection());

        // the real link still works
        offer(job[0].outbound(1), job[0], pattern(3, 33), 5_000);
        assertEquals(1, pollUntil(job[1].inbound(0), (b, o, l) -> l == 33, 1, 5_000));
    }

    /**
     * Send a preamble by hand and return the status of the answer.
     */
    private static int handshake(
        final InetSocketAddress address, final long jobId, final long meshId, final int from, final int to,
        final long window) throws IOException
    {
        try (Socket socket = new Socket(address.getAddress(), address.getPort()))
        {
            final ByteBuffer preamble = ByteBuffer.allocateDirect(TcpProtocol.PREAMBLE_LENGTH);
            TcpProtocol.encodePreamble(new org.agrona.concurrent.UnsafeBuffer(preamble), jobId, meshId, from, to, window,
                TcpProtocol.AUTH_NONE, null);
            final byte[] bytes = new byte[TcpProtocol.PREAMBLE_LENGTH];
            preamble.get(bytes);
            socket.getOutputStream().write(bytes);
            socket.setSoTimeout(5_000);
            final byte[] answer = socket.getInputStream().readNBytes(TcpProtocol.ACK_LENGTH);
            assertEquals(TcpProtocol.ACK_LENGTH, answer.length, "no whole answer");
            final ByteBuffer view = ByteBuffer.wrap(answer).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(TcpProtocol.ACK_MAGIC, view.getLong(0));
            final int status = view.getInt(TcpProtocol.ACK_STATUS_OFFSET);
            if (status != TcpProtocol.STATUS_OK)
            {
                assertEquals(-1, socket.getInputStream().read(), "a refused connection must be closed");
            }
            return status;
        }
    }

    @Test
    void silentClientIsDroppedAfterTheHandshakeTimeout() throws IOException
    {
        final String[] endpoints = loopbackEndpoints(1);
        final TcpTransport t = connect(context(0, endpoints, jobId)
            .handshakeTimeoutNs(TimeUnit.MILLISECONDS.toNanos(200)));
        try (Socket socket = new Socket(t.listenAddress().getAddress(), t.listenAddress().getPort()))
        {
            socket.setSoTimeout(5_000);
            assertEquals(-1, socket.getInputStream().read());
        }
        await("the silent client to be counted", 5_000, () -> t.rejectedConnections() == 1);
        assertTrue(t.lastRejection().contains("no whole preamble"), t.lastRejection());
    }

    @Test
    void waiterReturnsWhenDataArrivesAndWaitsOtherwise() throws Exception
    {
        final TcpTransport[] job = job(loopbackEndpoints(2), 64 * 1024);
        final InboundWaiter waiter = job[1].capability(InboundWaiter.class);
        assertNotNull(waiter);
        assertSame(waiter, job[1].capability(InboundWaiter.class));
        assertNull(job[1].capability(String.class));

        long start = System.nanoTime();
        waiter.awaitInbound(TimeUnit.MILLISECONDS.toNanos(50));
        final long idleNs = System.nanoTime() - start;
        assertTrue(idleNs >= TimeUnit.MILLISECONDS.toNanos(40), "returned after " + idleNs + " ns with nothing to do");

        final Thread sender = new Thread(() ->
        {
            sleepMs(100);
            offer(job[0].outbound(1), job[0], pattern(1, 64), 5_000);
        });
        start = System.nanoTime();
        sender.start();
        waiter.awaitInbound(TimeUnit.SECONDS.toNanos(5));
        final long wokenNs = System.nanoTime() - start;
        sender.join();
        assertTrue(wokenNs < TimeUnit.SECONDS.toNanos(2), "not woken by the data: " + wokenNs + " ns");
        assertEquals(1, pollUntil(job[1].inbound(0), (b, o, l) -> l == 64, 1, 1_000));
    }

    @Test
    void hasWindowIsAnsweredFromKnownCreditsAndAsksThePeerOnlyWhenShort()
    {
        final TcpTransport[] job = job(loopbackEndpoints(2), 64 * 1024);
        final OutboundLink out = job[0].outbound(1);
        final int framed = out.framedLength(4096);
        int sent = 0;
        while (out.hasWindow(framed))
        {
            assertTrue(out.tryClaim(4096) >= 0, "hasWindow said a frame fits");
            out.commit();
            sent++;
        }
        assertTrue(sent >= 8, "frames that fit a 64 KiB window: " + sent);
        assertFalse(out.hasWindow(framed));
        assertEquals(out.availableWindow() >= framed, out.hasWindow(framed), "the same answer as availableWindow");

        // the receiver takes them all and credits them: hasWindow must then find the room by asking
        assertEquals(sent, pollUntil(job[1].inbound(0), (b, o, l) -> l == 4096, sent, 5_000));
        await("the credits to come back", 5_000, () -> out.hasWindow(out.windowLength()), job);
        assertTrue(out.availableWindow() >= out.windowLength(), "at least the usable window once all is consumed");
    }

    @Test
    void hotPathAllocatesNothing()
    {
        final TcpTransport[] job = job(loopbackEndpoints(2), 256 * 1024);
        final InboundWaiter waiter = job[1].capability(InboundWaiter.class);
        final SteadyTraffic.Outcome outcome = SteadyTraffic.run(job, 1024, () -> waiter.awaitInbound(0));
        assertTrue(outcome.framesSent() > 1000, "frames sent: " + outcome.framesSent());
        assertEquals(0, outcome.allocatedBytes(), "bytes allocated by 20,000 sends and polls after warm-up");
    }

    @Test
    void contextNamesTheBadSetting()
    {
        final String[] endpoints = loopbackEndpoints(2);
        assertMessage("worldSize=0", () -> new TcpTransport.Context().rank(0).conclude());
        assertMessage("rank=2", () -> context(2, endpoints, 1).conclude());
        assertMessage("endpoints is not set", () -> new TcpTransport.Context().rank(0).worldSize(2).conclude());
        assertMessage("endpoints has 2 entries but worldSize=3",
            () -> new TcpTransport.Context().rank(0).worldSize(3).endpoints(endpoints).conclude());
        assertMessage("endpoints[1]='localhost'",
            () -> context(0, new String[]{ endpoints[0], "localhost" }, 1).conclude());
        assertMessage("endpoints[0]='h:70000'", () -> context(0, new String[]{ "h:70000", "h:1" }, 1).conclude());
        assertMessage("windowLength=100000", () -> context(0, endpoints, 1).windowLength(100_000).conclude());
        assertMessage("connectTimeoutNs=0", () -> context(0, endpoints, 1).connectTimeoutNs(0).conclude());
        final TcpTransport.Context ok = context(1, new String[]{ "[::1]:5000", "example.org:6000" }, 1);
        ok.conclude();
        assertEquals("::1", ok.host(0));
        assertEquals(6000, ok.port(1));
        assertEquals(TcpTransport.defaultWindowLength(2), ok.windowLength());
        assertThrows(IllegalStateException.class, ok::conclude);
        assertEquals(4 << 20, TcpTransport.defaultWindowLength(9));
        assertEquals(2 << 20, TcpTransport.defaultWindowLength(10));
        assertEquals(256 << 10, TcpTransport.defaultWindowLength(1000));
    }

    @Test
    void listenerThatCannotBindSaysWhere()
    {
        final String[] endpoints = loopbackEndpoints(2);
        connect(context(0, endpoints, jobId));
        final IllegalStateException ex = assertThrows(IllegalStateException.class,
            () -> connect(context(0, endpoints, jobId)));
        assertTrue(ex.getMessage().contains("cannot listen on 127.0.0.1:" + endpoints[0].split(":")[1]), ex.getMessage());
    }

    @Test
    void closeIsIdempotentAndSafeBeforeConnecting()
    {
        final TcpTransport t = connect(context(0, loopbackEndpoints(3), jobId));
        t.close();
        t.close();
        assertEquals(OutboundLink.CLOSED, t.outbound(1).tryClaim(10));
        assertEquals(0, t.inbound(2).poll((b, o, l) -> true, 10));
        assertTrue(t.inbound(2).isLost());
    }

    private static void assertMessage(final String expected, final Runnable action)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, action::run);
        assertTrue(ex.getMessage().contains(expected), "'" + ex.getMessage() + "' should contain '" + expected + "'");
    }

    static void sleepMs(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}

package io.ringsync.transport.tcp;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.OutboundLink;
import io.ringsync.transport.Transport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

public final class TcpTestSupport
{
    static final long CONNECT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private TcpTestSupport()
    {
    }

    /**
     * Ports free on 127.0.0.1 right now (bound at once, then released).
     */
    static int[] freePorts(final int count)
    {
        final ServerSocket[] sockets = new ServerSocket[count];
        final int[] ports = new int[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                sockets[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ports[i] = sockets[i].getLocalPort();
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("no free port: " + ex, ex);
        }
        finally
        {
            for (final ServerSocket socket : sockets)
            {
                try
                {
                    if (null != socket)
                    {
                        socket.close();
                    }
                }
                catch (final IOException ignore)
                {
                    // nothing to clean
                }
            }
        }
        return ports;
    }

    public static String[] loopbackEndpoints(final int count)
    {
        final int[] ports = freePorts(count);
        final String[] endpoints = new String[count];
        for (int i = 0; i < count; i++)
        {
            endpoints[i] = "127.0.0.1:" + ports[i];
        }
        return endpoints;
    }

    static TcpTransport.Context context(final int rank, final String[] endpoints, final long jobId)
    {
        return new TcpTransport.Context()
            .rank(rank)
            .worldSize(endpoints.length)
            .jobId(jobId)
            .endpoints(endpoints)
            .connectTimeoutNs(CONNECT_TIMEOUT_NS);
    }

    static void await(final String what, final long timeoutMs, final BooleanSupplier condition, final Transport... drive)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean())
        {
            for (final Transport transport : drive)
            {
                transport.doWork();
            }
            if (System.nanoTime() - deadlineNs >= 0)
            {
                fail("timed out after " + timeoutMs + " ms waiting for " + what);
            }
            Thread.onSpinWait();
        }
    }

    static void awaitConnected(final TcpTransport... transports)
    {
        for (final TcpTransport transport : transports)
        {
            for (int peer = 0; peer < transport.worldSize(); peer++)
            {
                if (peer != transport.rank())
                {
                    final int p = peer;
                    await("rank " + transport.rank() + " to connect to " + peer + " (" + transport.linkStatus(peer) + ")",
                        10_000, () -> transport.isConnected(p), transports);
                }
            }
        }
    }

    /**
     * Offer a message, driving the sender (and polling nothing) until it is taken.
     */
    static long offer(final OutboundLink link, final Transport transport, final byte[] message, final long timeoutMs)
    {
        final org.agrona.concurrent.UnsafeBuffer src = new org.agrona.concurrent.UnsafeBuffer(message);
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true)
        {
            final long result = link.offer(src, 0, message.length);
            if (result >= 0 || result == OutboundLink.CLOSED)
            {
                return result;
            }
            transport.doWork();
            if (System.nanoTime() - deadlineNs >= 0)
            {
                fail("offer timed out with " + OutboundLink.statusName(result));
            }
            Thread.onSpinWait();
        }
    }

    static int pollUntil(final InboundLink link, final io.ringsync.transport.MessageHandler handler, final int count,
        final long timeoutMs)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        int received = 0;
        while (received < count)
        {
            received += link.poll(handler, count - received);
            if (System.nanoTime() - deadlineNs >= 0)
            {
                fail("received " + received + " of " + count + " messages in " + timeoutMs + " ms");
            }
        }
        return received;
    }

    /**
     * A message of {@code length} bytes whose content depends on its sequence number.
     */
    static byte[] pattern(final long sequence, final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(sequence * 31 + i * 7);
        }
        return bytes;
    }

    /**
     * Both ranks send every length of {@code lengths} to each other, {@code rounds} times, each message a distinct
     * {@link #pattern}, and the receiver checks every byte and the order: the shared exchange of the tcp tests.
     */
    static void exchangeEveryLength(final TcpTransport[] job, final int rounds)
    {
        final int max = job[0].maxMessageLength();
        final int[] lengths = { 0, 1, 7, 8, 9, 63, 64, 1000, max - 1, max };
        for (int round = 0; round < rounds; round++)
        {
            for (int from = 0; from < 2; from++)
            {
                final int to = 1 - from;
                for (int i = 0; i < lengths.length; i++)
                {
                    assertTrue(offer(job[from].outbound(to), job[from], pattern(round * 100 + i, lengths[i]), 5_000) >= 0);
                }
                final int[] next = { 0 };
                final int r = round;
                pollUntil(job[to].inbound(from), (buffer, offset, length) ->
                {
                    final byte[] expected = pattern(r * 100 + next[0], lengths[next[0]]);
                    final byte[] actual = new byte[length];
                    buffer.getBytes(offset, actual);
                    assertArrayEquals(expected, actual, "message " + next[0] + " of round " + r);
                    next[0]++;
                    return true;
                }, lengths.length, 5_000);
            }
        }
    }
}

package io.ringsync.transport.tcp;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.OutboundLink;
import io.ringsync.transport.security.ConnectionProof;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.ringsync.transport.tcp.TcpTestSupport.await;
import static io.ringsync.transport.tcp.TcpTestSupport.awaitConnected;
import static io.ringsync.transport.tcp.TcpTestSupport.context;
import static io.ringsync.transport.tcp.TcpTestSupport.loopbackEndpoints;
import static io.ringsync.transport.tcp.TcpTestSupport.offer;
import static io.ringsync.transport.tcp.TcpTestSupport.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The proof of the job secret at connection ({@link SecretHandshake}): a stranger that knows the job id and the
 * port but not the secret is refused after the challenge and never takes the link's slot, so the real rank
 * connects after it; and a listener that cannot prove the secret (one that accepts anything, or answers the
 * challenge with a made-up proof) never receives a byte after the preamble: no frame, no model.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpConnectionProofTest
{
    private static final byte[] SECRET = "the job's secret".getBytes(StandardCharsets.UTF_8);
    private static final int WINDOW = 64 * 1024;

    private final List<TcpTransport> transports = new ArrayList<>();
    private final long jobId = ThreadLocalRandom.current().nextLong();
    private final byte[] sessionId = new byte[16];

    TcpConnectionProofTest()
    {
        ThreadLocalRandom.current().nextBytes(sessionId);
    }

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

    private TcpTransport.Context secured(final int rank, final String[] endpoints)
    {
        return context(rank, endpoints, jobId).windowLength(WINDOW).jobSecret(SECRET).sessionId(sessionId);
    }

    @ParameterizedTest(name = "frame tags {0}")
    @ValueSource(booleans = { true, false })
    void aStrangerWithoutTheSecretIsRefusedAfterTheChallengeAndTheRealRankConnectsAfterIt(final boolean frameTags)
        throws Exception
    {
        final String[] endpoints = loopbackEndpoints(2);
        final TcpTransport one = connect(secured(1, endpoints).frameTags(frameTags));
        final InetSocketAddress address = one.listenAddress();
        try (Socket stranger = new Socket(address.getAddress(), address.getPort()))
        {
            stranger.setSoTimeout(5_000);
            final byte[] nonce = new byte[16];
            ThreadLocalRandom.current().nextBytes(nonce);
            final ByteBuffer preamble = ByteBuffer.allocateDirect(TcpProtocol.PREAMBLE_LENGTH);
            TcpProtocol.encodePreamble(new UnsafeBuffer(preamble), jobId, 0, 0, 1, WINDOW,
                frameTags ? TcpTransport.FRAME_MAC_DEFAULT.code() : TcpProtocol.AUTH_PROOF_ONLY, nonce);
            final byte[] bytes = new byte[TcpProtocol.PREAMBLE_LENGTH];
            preamble.get(bytes);
            stranger.getOutputStream().write(bytes);
            final InputStream in = stranger.getInputStream();
            assertEquals(TcpProtocol.STATUS_PROVE, ackStatus(in.readNBytes(TcpProtocol.ACK_LENGTH)));
            assertEquals(TcpProtocol.CHALLENGE_LENGTH, in.readNBytes(TcpProtocol.CHALLENGE_LENGTH).length);
            // a guess at the proof
            final ByteBuffer guess = ByteBuffer.allocate(TcpProtocol.PROOF_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            guess.putLong(TcpProtocol.PROOF_MAGIC);
            stranger.getOutputStream().write(guess.array());
            assertEquals(TcpProtocol.STATUS_BAD_PROOF, ackStatus(in.readNBytes(TcpProtocol.ACK_LENGTH)));
            assertEquals(-1, in.read(), "a refused connection is closed");
        }
        await("the stranger to be counted", 5_000, () -> one.rejectedConnections() == 1, one);
        assertTrue(one.lastRejection().contains("did not prove it holds the job secret"), one.lastRejection());
        assertFalse(one.isConnected(0));

        // the slot is still free: the real rank 0 connects and its frames arrive exactly
        final TcpTransport zero = connect(secured(0, endpoints).frameTags(frameTags));
        awaitConnected(zero, one);
        final byte[] message = pattern(7, 1000);
        assertTrue(offer(zero.outbound(1), zero, message, 5_000) >= 0);
        final List<byte[]> delivered = new ArrayList<>();
        final InboundLink link = one.inbound(0);
        await("rank 0's frame", 5_000, () ->
        {
            link.poll((buffer, offset, length) ->
            {
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                delivered.add(copy);
                return true;
            }, 1);
            return !delivered.isEmpty();
        }, zero, one);
        assertArrayEquals(message, delivered.get(0));
        assertEquals(1, one.rejectedConnections());
        // untagged frames take no room for a tag: the message's frame is its header and payload alone
        assertEquals(TcpProtocol.framedLength(1000, frameTags ? 16 : 0), zero.outbound(1).framedLength(1000));
    }

    @Test
    void aRankThatTagsFramesAndOneThatOnlyProvesTheSecretRefuseEachOtherNamingTheSetting()
    {
        final String[] endpoints = loopbackEndpoints(2);
        final TcpTransport tags = connect(secured(0, endpoints).connectTimeoutNs(TimeUnit.SECONDS.toNanos(2)));
        final TcpTransport proofOnly = connect(secured(1, endpoints).frameTags(false)
            .connectTimeoutNs(TimeUnit.SECONDS.toNanos(2)));
        await("both listeners to refuse the other's connection", 10_000,
            () -> tags.rejectedConnections() > 0 && proofOnly.rejectedConnections() > 0, tags, proofOnly);
        assertTrue(tags.lastRejection().contains("by connection proof only"), tags.lastRejection());
        assertTrue(proofOnly.lastRejection().contains("leaves frames untagged (RINGSYNC_FRAME_MAC=off)"),
            proofOnly.lastRejection());
        assertFalse(tags.isConnected(1));
    }

    @Test
    void aListenerThatAcceptsWithoutProvingTheSecretGetsNothingAfterThePreamble() throws Exception
    {
        final String[] endpoints = loopbackEndpoints(2);
        try (ServerSocket impostor = new ServerSocket(portOf(endpoints[1]), 8, InetAddress.getByName("127.0.0.1")))
        {
            final AtomicLong bytesAfterPreamble = new AtomicLong();
            final AtomicInteger connections = new AtomicInteger();
            final Thread listener = impostor(impostor, connections, bytesAfterPreamble, socket ->
            {
                // "accepted", as a listener of this job would say, but with no proof
                final ByteBuffer ack = ByteBuffer.allocateDirect(TcpProtocol.ACK_LENGTH);
                TcpProtocol.encodeAck(new UnsafeBuffer(ack), TcpProtocol.STATUS_OK);
                return bytes(ack, TcpProtocol.ACK_LENGTH);
            });
            final TcpTransport zero = connect(secured(0, endpoints).connectTimeoutNs(TimeUnit.SECONDS.toNanos(2)));
            await("the link to end at the connect timeout", 10_000,
                () -> zero.outbound(1).tryClaim(0) == OutboundLink.CLOSED, zero);
            assertTrue(zero.linkStatus(1).contains("accepted the connection without proving it holds the job " +
                "secret"), zero.linkStatus(1));
            impostor.close();
            listener.join(10_000);
            assertTrue(connections.get() > 0, "the dialer never reached the impostor");
            assertEquals(0, bytesAfterPreamble.get(), "a frame (or any byte) reached a listener without the secret");
        }
    }

    @Test
    void aListenerWithAMadeUpProofGetsNothingAfterThePreamble() throws Exception
    {
        final String[] endpoints = loopbackEndpoints(2);
        try (ServerSocket impostor = new ServerSocket(portOf(endpoints[1]), 8, InetAddress.getByName("127.0.0.1")))
        {
            final AtomicLong bytesAfterPreamble = new AtomicLong();
            final AtomicInteger connections = new AtomicInteger();
            final Thread listener = impostor(impostor, connections, bytesAfterPreamble, socket ->
            {
                final ByteBuffer answer = ByteBuffer.allocateDirect(TcpProtocol.ACK_LENGTH +
                    TcpProtocol.CHALLENGE_LENGTH);
                TcpProtocol.encodeAck(new UnsafeBuffer(answer), TcpProtocol.STATUS_PROVE);
                new UnsafeBuffer(answer).putBytes(TcpProtocol.ACK_LENGTH, ConnectionProof.newNonce());
                return bytes(answer, answer.capacity());
            });
            final TcpTransport zero = connect(secured(0, endpoints).connectTimeoutNs(TimeUnit.SECONDS.toNanos(2)));
            await("the link to end at the connect timeout", 10_000,
                () -> zero.outbound(1).tryClaim(0) == OutboundLink.CLOSED, zero);
            assertTrue(zero.linkStatus(1).contains("could not prove it holds the job secret"), zero.linkStatus(1));
            impostor.close();
            listener.join(10_000);
            assertTrue(connections.get() > 0, "the dialer never reached the impostor");
            assertEquals(0, bytesAfterPreamble.get(), "the dialer sent its proof or a frame to an impostor");
        }
    }

    /**
     * What an impostor listener answers to a preamble.
     */
    @FunctionalInterface
    interface Answer
    {
        byte[] to(Socket socket);
    }

    /**
     * Accept connections until the socket closes: read the preamble, answer, then count every byte the dialer
     * still sends (none is expected) until it closes or half a second passes.
     */
    private static Thread impostor(
        final ServerSocket server, final AtomicInteger connections, final AtomicLong bytesAfterPreamble,
        final Answer answer)
    {
        final Thread thread = new Thread(() ->
        {
            while (!server.isClosed())
            {
                try (Socket socket = server.accept())
                {
                    connections.incrementAndGet();
                    socket.setSoTimeout(500);
                    final InputStream in = socket.getInputStream();
                    if (in.readNBytes(TcpProtocol.PREAMBLE_LENGTH).length < TcpProtocol.PREAMBLE_LENGTH)
                    {
                        continue;
                    }
                    socket.getOutputStream().write(answer.to(socket));
                    try
                    {
                        while (in.read() >= 0)
                        {
                            bytesAfterPreamble.incrementAndGet();
                        }
                    }
                    catch (final SocketTimeoutException quiet)
                    {
                        // the dialer sent nothing more: as it should
                    }
                }
                catch (final IOException closedOrReset)
                {
                    // the server socket closed (the test is over) or the dialer reset the connection
                }
            }
        }, "impostor");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static byte[] bytes(final ByteBuffer buffer, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.get(0, bytes);
        return bytes;
    }

    private static int ackStatus(final byte[] ack)
    {
        assertEquals(TcpProtocol.ACK_LENGTH, ack.length, "no whole answer");
        final ByteBuffer view = ByteBuffer.wrap(ack).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(TcpProtocol.ACK_MAGIC, view.getLong(0));
        return view.getInt(TcpProtocol.ACK_STATUS_OFFSET);
    }

    private static int portOf(final String endpoint)
    {
        return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
    }
}

package io.ringsync.transport.tcp;

import io.ringsync.transport.ByteSearch;
import io.ringsync.transport.InboundLink;
import io.ringsync.transport.security.ConnectionProof;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.tcp.TcpTestSupport.await;
import static io.ringsync.transport.tcp.TcpTestSupport.awaitConnected;
import static io.ringsync.transport.tcp.TcpTestSupport.context;
import static io.ringsync.transport.tcp.TcpTestSupport.exchangeEveryLength;
import static io.ringsync.transport.tcp.TcpTestSupport.loopbackEndpoints;
import static io.ringsync.transport.tcp.TcpTestSupport.offer;
import static io.ringsync.transport.tcp.TcpTestSupport.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tcp transport with {@code tls} on: every byte each way goes through TLS 1.3, the ranks prove the job secret
 * bound to the handshake's certificates, and what a relay sees or changes is useless to it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpTlsTest
{
    private static final byte[] SECRET = "the job's secret".getBytes(StandardCharsets.UTF_8);
    private static final int WINDOW = 256 * 1024;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final long jobId = ThreadLocalRandom.current().nextLong();
    private final byte[] sessionId = new byte[16];

    TcpTlsTest()
    {
        ThreadLocalRandom.current().nextBytes(sessionId);
    }

    @AfterEach
    void tearDown()
    {
        CloseHelper.quietCloseAll(closeables);
    }

    @Test
    void everyLengthCrossesBothWaysWithoutFrameTags()
    {
        final String[] endpoints = loopbackEndpoints(2);
        final TcpTransport zero = connect(tls(0, endpoints));
        final TcpTransport one = connect(tls(1, endpoints));
        final TcpTransport[] job = { zero, one };
        awaitConnected(job);
        // many rounds: the ring wraps and the window is credited back through TLS many times
        exchangeEveryLength(job, 40);
        // TLS's record checks stand in for the frame tags: a frame is its header and payload alone
        assertEquals(TcpProtocol.framedLength(1000, 0), zero.outbound(1).framedLength(1000));
    }

    @Test
    void aRelaySeesOnlyCiphertext() throws Exception
    {
        final ByteArrayOutputStream seen = new ByteArrayOutputStream();
        final TcpTransport[] job = throughRelay((offset, value, out) ->
        {
            synchronized (seen)
            {
                seen.write(value);
            }
            return value;
        });
        final byte[] message = pattern(12345, 4096);
        assertTrue(offer(job[0].outbound(1), job[0], message, 5_000) >= 0);
        receive(job[1].inbound(0), message.length, job);

        final byte[] stream;
        synchronized (seen)
        {
            stream = seen.toByteArray();
        }
        assertTrue(stream.length > message.length, "the relay forwarded " + stream.length + " bytes");
        assertEquals(22, stream[0], "the stream opens with a TLS handshake record");
        // neither the preamble's magic nor any 16 bytes of the message appear in the clear
        final byte[] magic = new byte[8];
        for (int i = 0; i < 8; i++)
        {
            magic[i] = (byte)(TcpProtocol.PREAMBLE_MAGIC >>> (8 * i));
        }
        assertEquals(-1, ByteSearch.indexOf(stream, magic), "the preamble crossed in the clear");
        for (int at = 0; at + 16 <= message.length; at += 512)
        {
            final byte[] piece = java.util.Arrays.copyOfRange(message, at, at + 16);
            assertEquals(-1, ByteSearch.indexOf(stream, piece),
                "bytes " + at + ".." + (at + 16) + " crossed in the clear");
        }
    }

    @Test
    void aByteChangedOnTheWayEndsTheLinkNamingThePeer() throws Exception
    {
        final long[] changedAt = { -1 };
        final TcpTransport[] job = throughRelay((offset, value, out) ->
        {
            // well past the handshake and the proof, a few TLS records (16 KiB each at most) into the data
            if (offset == 60_000)
            {
                changedAt[0] = offset;
                return value ^ 0x10;
            }
            return value;
        });
        final org.agrona.concurrent.UnsafeBuffer message = new org.agrona.concurrent.UnsafeBuffer(pattern(7, 1000));
        final InboundLink link = job[1].inbound(0);
        final int[] received = { 0 };
        await("the changed record to end the link", 20_000, () ->
        {
            // once, without waiting: after the bad record the receiver credits nothing more
            job[0].outbound(1).offer(message, 0, message.capacity());
            link.poll((buffer, offset, length) ->
            {
                received[0]++;
                return true;
            }, 16);
            return link.isLost();
        }, job);
        assertEquals(60_000, changedAt[0]);
        final String reason = ((TcpInboundLink)link).describe();
        assertTrue(reason.contains("from rank 0") && reason.contains("broke"), reason);
        assertTrue(received[0] > 0, "frames before the changed record arrived");
    }

    @Test
    void aRankWithTlsAndOneWithoutRefuseEachOtherNamingTheSetting()
    {
        final String[] endpoints = loopbackEndpoints(2);
        // rank 0 dials with TLS, rank 1 listens without
        final TcpTransport one = connect(plain(1, endpoints).connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(1500)));
        final TcpTransport zero = connect(tls(0, endpoints).connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(1500)));
        await("rank 1 to refuse rank 0's TLS", 10_000, () -> one.rejectedConnections() > 0, zero, one);
        assertTrue(one.lastRejection().contains("RINGSYNC_TLS on and this one off"), one.lastRejection());
        await("rank 0 to refuse rank 1's plain connection", 10_000, () -> zero.rejectedConnections() > 0, zero, one);
        assertTrue(zero.lastRejection().contains("TLS handshake failed") &&
            zero.lastRejection().contains("RINGSYNC_TLS"), zero.lastRejection());
        assertFalse(zero.isConnected(1));
        assertFalse(one.isConnected(0));
    }

    @Test
    void tlsWithoutAJobSecretIsRefused()
    {
        final String[] endpoints = loopbackEndpoints(2);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> context(0, endpoints, jobId).tls(true).conclude());
        assertTrue(ex.getMessage().contains("tls needs a job secret"), ex.getMessage());
    }

    @Test
    void proofsBoundToOneHandshakeHoldForNoOther()
    {
        final byte[] dialNonce = new byte[16];
        final byte[] acceptNonce = new byte[16];
        final byte[] seen = new byte[64];
        final byte[] relayed = seen.clone();
        relayed[40] ^= 1; // the acceptor saw a relay's certificate instead of the dialer's
        final ConnectionProof dialer = ConnectionProof.of(SECRET, sessionId, jobId, 0, 0, 1, dialNonce, acceptNonce,
            seen);
        final ConnectionProof acceptor = ConnectionProof.of(SECRET, sessionId, jobId, 0, 0, 1, dialNonce,
            acceptNonce, relayed);
        final ConnectionProof same = ConnectionProof.of(SECRET, sessionId, jobId, 0, 0, 1, dialNonce, acceptNonce,
            seen.clone());
        assertTrue(java.util.Arrays.equals(dialer.dialerProof(), same.dialerProof()));
        assertFalse(java.util.Arrays.equals(dialer.dialerProof(), acceptor.dialerProof()));
        assertFalse(java.util.Arrays.equals(dialer.acceptorProof(), acceptor.acceptorProof()));
    }

    private TcpTransport[] throughRelay(final TamperingProxy.Tamper tamper) throws Exception
    {
        final String[] endpoints = loopbackEndpoints(2);
        final String[] direct = endpoints[1].split(":");
        final TamperingProxy proxy =
            new TamperingProxy(new InetSocketAddress(direct[0], Integer.parseInt(direct[1])), 0, tamper);
        closeables.add(proxy);
        final TcpTransport one = connect(tls(1, endpoints));
        final TcpTransport zero = connect(tls(0, new String[]{ endpoints[0], proxy.endpoint() }));
        final TcpTransport[] job = { zero, one };
        awaitConnected(job);
        return job;
    }

    private static void receive(final InboundLink link, final int length, final TcpTransport[] job)
    {
        final int[] got = { -1 };
        await("the message", 10_000, () ->
        {
            link.poll((buffer, offset, l) ->
            {
                got[0] = l;
                return true;
            }, 1);
            return got[0] >= 0;
        }, job);
        assertEquals(length, got[0]);
    }

    private TcpTransport.Context tls(final int rank, final String[] endpoints)
    {
        return plain(rank, endpoints).tls(true);
    }

    private TcpTransport.Context plain(final int rank, final String[] endpoints)
    {
        return context(rank, endpoints, jobId).windowLength(WINDOW).jobSecret(SECRET).sessionId(sessionId);
    }

    private TcpTransport connect(final TcpTransport.Context ctx)
    {
        final TcpTransport transport = TcpTransport.connect(ctx);
        closeables.add(transport);
        return transport;
    }
}

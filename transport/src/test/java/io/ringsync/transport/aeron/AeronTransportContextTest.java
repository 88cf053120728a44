package io.ringsync.transport.aeron;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class AeronTransportContextTest
{
    private static AeronTransport.Context ipc()
    {
        return new AeronTransport.Context().rank(0).worldSize(2).jobId(42).media(AeronMedia.IPC)
            .aeronDirectoryName("/dev/shm/some-driver");
    }

    private static AeronTransport.Context udp()
    {
        return new AeronTransport.Context().rank(1).worldSize(2).jobId(42).media(AeronMedia.UDP)
            .jobDirectory(new File("/dev/shm/some-job"))
            .udpEndpoints("127.0.0.1:40100", "127.0.0.1:40101");
    }

    private static void assertRejected(final AeronTransport.Context ctx, final String... fragments)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, ctx::conclude);
        for (final String fragment : fragments)
        {
            assertTrue(ex.getMessage().contains(fragment), () -> "'" + ex.getMessage() + "' lacks '" + fragment + "'");
        }
    }

    @Test
    void ipcRequiresAnAeronDirectory()
    {
        assertRejected(ipc().aeronDirectoryName(null), "aeronDirectoryName");
        assertRejected(ipc().aeronDirectoryName("  "), "aeronDirectoryName");
    }

    @Test
    void rankMustBeInsideTheWorld()
    {
        assertRejected(ipc().rank(2), "rank=2", "worldSize=2", "rank(int)");
        assertRejected(ipc().rank(-1), "rank=-1");
        assertRejected(new AeronTransport.Context().aeronDirectoryName("/x"), "worldSize=0");
    }

    @Test
    void udpLinksAreBoundToSessionsEveryRankDerivesAlike()
    {
        final byte[] secret = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
        final AeronTransport.Context rank1 = udp().sessionSecret(secret);
        assertTrue(rank1.hasSessionSecret());
        rank1.conclude();
        final AeronTransport.Context rank0 = udp().rank(0).sessionSecret(secret).conclude();
        assertTrue(rank1.hasSessionSecret());
        assertEquals(rank0.sessionId(0, 1), rank1.sessionId(0, 1));
        assertEquals(rank0.sessionId(1, 0), rank1.sessionId(1, 0));
        assertNotEquals(rank1.sessionId(0, 1), rank1.sessionId(1, 0));
        assertEquals(1, secret[0], "the caller's secret is left as it was");

        final AeronTransport.Context otherSecret = udp().sessionSecret(new byte[]{ 9 }).conclude();
        assertNotEquals(rank1.sessionId(0, 1), otherSecret.sessionId(0, 1));

        final AeronTransport.Context noSecret = udp().conclude();
        assertFalse(noSecret.hasSessionSecret());
        assertTrue(noSecret.isSessionBound());
        assertEquals(udp().rank(0).conclude().sessionId(0, 1), noSecret.sessionId(0, 1));
        assertNotEquals(rank1.sessionId(0, 1), noSecret.sessionId(0, 1));
        assertNotEquals(noSecret.sessionId(0, 1), udp().jobId(43).conclude().sessionId(0, 1));
        assertTrue(noSecret.toString().contains("sessions=bound, from the job id"), noSecret::toString);
        assertTrue(rank1.toString().contains("sessions=bound, from a secret"), rank1::toString);

        assertEquals(io.aeron.Aeron.NULL_VALUE, ipc().conclude().sessionId(0, 1));
        assertThrows(IllegalArgumentException.class, () -> udp().sessionSecret(new byte[0]).conclude());
    }

    @Test
    void udpMessagesAreTaggedWithAJobSecretAndIpcMessagesNever()
    {
        final byte[] secret = { 1, 2, 3 };
        final AeronTransport.Context udp = udp().jobSecret(secret).conclude();
        assertTrue(udp.isFrameAuthenticated());
        assertEquals(AeronTransport.FRAME_MAC_DEFAULT, udp.frameMac());
        assertTrue(udp.toString().contains("frameAuthentication=HMAC_SHA256"), udp.toString());
        secret[0] = 9;
        assertEquals(1, udp.jobSecret()[0], "copied");
        assertFalse(udp().conclude().isFrameAuthenticated(), "no secret, no tag");
        assertFalse(ipc().jobSecret(secret).conclude().isFrameAuthenticated(), "ipc never leaves the host");
        assertNull(ipc().jobSecret(secret).conclude().jobSecret(), "and keeps no secret");
        assertThrows(IllegalArgumentException.class, () -> udp().jobSecret(new byte[0]));
        assertThrows(NullPointerException.class, () -> udp().frameMac(null));
    }

    @Test
    void anImageOfAnotherSessionNeitherConnectsNorLosesABoundLink()
    {
        final AeronInboundLink link = new AeronInboundLink(1, true, 77, null);
        link.imageCame(78);
        link.imageWent(78);
        assertFalse(link.isLost(), "a stranger's image went away");
        link.imageCame(77);
        link.imageWent(78);
        assertFalse(link.isLost(), "a stranger's image went away while the job's is up");
        assertEquals(3, link.foreignImageCount());
        link.imageWent(77);
        assertTrue(link.isLost(), "the job's own image went away");

        final AeronInboundLink ipc = new AeronInboundLink(1, false, io.aeron.Aeron.NULL_VALUE, null);
        ipc.imageCame(5);
        ipc.imageWent(6);
        assertTrue(ipc.isLost(), "an IPC link takes any session");
        assertEquals(0, ipc.foreignImageCount());
    }

    @Test
    void udpRequiresOneEndpointPerRank()
    {
        assertRejected(udp().udpEndpoints((String[])null), "udpEndpoints");
        assertRejected(udp().udpEndpoints("127.0.0.1:40100"), "udpEndpoints", "worldSize=2");
        assertRejected(udp().udpEndpoints("127.0.0.1:40100", "localhost"), "udpEndpoints[1]", "localhost");
        assertRejected(udp().udpEndpoints("127.0.0.1:40100", "localhost:70000"), "udpEndpoints[1]");
        assertRejected(udp().udpEndpoints("127.0.0.1:40100", "::1:40101"), "udpEndpoints[1]", "[::1]:40100");
        assertRejected(udp().udpEndpoints("[]:40100", "127.0.0.1:40101"), "udpEndpoints[0]", "brackets");
        assertEquals("[::1]:40101", udp().udpEndpoints("[::1]:40100", " [::1]:40101 ").conclude().udpEndpoints()[1]);
        assertRejected(udp().jobDirectory(null), "jobDirectory", "aeronDirectoryName");
    }

    @Test
    void termLengthMustBeAPowerOfTwoLargeEnoughForTheMtu()
    {
        assertRejected(ipc().termLength(1_000_000), "termLength=1000000", "termLength(int)");
        assertRejected(ipc().termLength(256 * 1024), "termLength=262144", "mtuLength=65504", "524288");
        assertRejected(udp().termLength(32 * 1024), "termLength=32768");
        assertRejected(udp().mtuLength(65504).termLength(256 * 1024), "termLength=262144");
        udp().mtuLength(1408).termLength(64 * 1024).conclude();
    }

    @Test
    void udpMtuAndSocketBuffersAreChecked()
    {
        assertRejected(udp().mtuLength(1500), "mtuLength=1500");
        assertRejected(udp().mtuLength(65536), "mtuLength=65536");
        assertRejected(udp().socketBufferLength(4096), "socketBufferLength=4096");
    }

    @Test
    void concludeFillsDefaults()
    {
        final AeronTransport.Context ipc = ipc().mtuLength(1408).conclude();
        assertEquals(AeronTransport.IPC_MTU_LENGTH, ipc.mtuLength());
        assertEquals(AeronTransport.TERM_LENGTH_DEFAULT, ipc.termLength());
        assertEquals(AeronTransport.Context.defaultStreamIdBase(42), ipc.streamIdBase());
        assertEquals(ipc.streamIdBase() + 1, ipc.streamId(0, 1));
        assertEquals(ipc.streamIdBase() + 2, ipc.streamId(1, 0));

        final AeronTransport.Context udp = udp().conclude();
        assertEquals(AeronTransport.UDP_MTU_LENGTH_DEFAULT, udp.mtuLength());
        assertEquals(new File("/dev/shm/some-job/aeron-rank-1"), udp.embeddedDriverDirectory());
        assertTrue(udp.isSessionBound());
        assertFalse(ipc.isSessionBound());
        assertEquals("aeron:udp?endpoint=127.0.0.1:40101|so-rcvbuf=2097152|rcv-wnd=2097152" +
            "|session-id=" + udp.sessionId(0, 1), AeronChannels.subscriptionChannel(udp, 0));
        assertEquals("aeron:udp?endpoint=127.0.0.1:40100|mtu=1408|term-length=1048576|pub-wnd=524288" +
            "|so-sndbuf=2097152|session-id=" + udp.sessionId(1, 0), AeronChannels.publicationChannel(udp, 0));
        assertEquals("aeron:ipc?mtu=65504|term-length=1048576|pub-wnd=524288",
            AeronChannels.publicationChannel(ipc, 1));

        assertThrows(IllegalStateException.class, ipc::conclude);
    }

    @Test
    void streamIdBaseSeparatesJobs()
    {
        int distinct = 0;
        for (long jobId = 0; jobId < 100; jobId++)
        {
            final int base = AeronTransport.Context.defaultStreamIdBase(jobId);
            assertTrue(base >= 4096 && base <= (1 << 30) && 0 == (base & 4095), "base " + base);
            if (base != AeronTransport.Context.defaultStreamIdBase(jobId + 1))
            {
                distinct++;
            }
        }
        assertEquals(100, distinct);
        assertNotEquals(AeronTransport.Context.defaultStreamIdBase(1), AeronTransport.Context.defaultStreamIdBase(-1));
        assertRejected(ipc().streamIdBase(0), "streamIdBase=0");
        assertRejected(ipc().streamIdBase(Integer.MAX_VALUE - 2), "streamIdBase=");
        assertEquals(7, ipc().streamIdBase(7).conclude().streamIdBase());
    }

    @Test
    void mediaNamesParse()
    {
        assertEquals(AeronMedia.IPC, AeronMedia.fromTransportName("ipc"));
        assertEquals(AeronMedia.UDP, AeronMedia.fromTransportName(" UDP "));
        assertThrows(IllegalArgumentException.class, () -> AeronMedia.fromTransportName("shm"));
    }
}

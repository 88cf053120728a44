package io.ringsync.collectives;

import io.ringsync.transport.aeron.AeronMedia;
import io.ringsync.transport.aeron.MediaDriverHost;
import io.ringsync.transport.aeron.UdpPorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Communicator#fromEnvironment(Map)} over real Aeron transports, ranks as threads of this JVM: the
 * settings the launcher passes, and the messages a user gets when one is missing or wrong.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@Tag("process") // media drivers (ipc, udp) for ranks as threads, seconds
class AeronEnvironmentTest
{
    private final Path jobDir = TestJobDirectory.fresh("test").toPath();

    @AfterEach
    void removeJobDirectory()
    {
        org.agrona.IoUtil.delete(jobDir.toFile(), true);
    }

    private Map<String, String> env(final int rank, final int size, final String transport)
    {
        final Map<String, String> env = new HashMap<>();
        env.put(Configuration.RANK_ENV, Integer.toString(rank));
        env.put(Configuration.WORLD_SIZE_ENV, Integer.toString(size));
        env.put(Configuration.TRANSPORT_ENV, transport);
        env.put(Configuration.JOB_ID_ENV, "0x5eed");
        env.put(Configuration.JOB_DIR_ENV, jobDir.toString());
        env.put(Configuration.TIMEOUT_MS_ENV, "20000");
        return env;
    }

    private List<float[]> runRanks(final List<Map<String, String>> envs, final int count) throws Exception
    {
        return RankThreads.values(RankThreads.run(envs.size(), 60_000,
            (rank) -> Communicator.fromEnvironment(envs.get(rank)), (comm) ->
            {
                final Random random = new Random(comm.rank());
                final float[] v = new float[count];
                for (int i = 0; i < count; i++)
                {
                    v[i] = random.nextFloat();
                }
                comm.broadcast(v, 0);
                for (int i = 0; i < count; i++)
                {
                    v[i] += comm.rank();
                }
                comm.allReduce(v, ReduceOp.AVG);
                return v;
            }));
    }

    private static void assertIdenticalAcrossRanks(final List<float[]> results, final int n, final int count)
    {
        final Random random = new Random(0);
        for (int i = 0; i < count; i++)
        {
            final float init = random.nextFloat();
            final int bits = Float.floatToRawIntBits(results.get(0)[i]);
            // every rank held init + rank; the average is init + (n - 1) / 2 up to rounding
            assertEquals(init + (n - 1) / 2.0f, results.get(0)[i], 1e-5f);
            for (final float[] result : results)
            {
                assertEquals(bits, Float.floatToRawIntBits(result[i]), "element " + i);
            }
        }
    }

    @Test
    void ipcRanksShareOneDriverAndAgreeBitwise() throws Exception
    {
        final File aeronDir = jobDir.resolve("aeron").toFile();
        try (MediaDriverHost driver = MediaDriverHost.launch(aeronDir, AeronMedia.IPC, 1 << 20))
        {
            final int n = 3;
            final int count = 300_007;
            final List<Map<String, String>> envs = new ArrayList<>();
            for (int r = 0; r < n; r++)
            {
                final Map<String, String> env = env(r, n, "ipc");
                env.put(Configuration.AERON_DIR_ENV, driver.aeronDirectoryName());
                envs.add(env);
            }
            assertIdenticalAcrossRanks(runRanks(envs, count), n, count);
        }
    }

    @Test
    void udpRanksEmbedTheirOwnDriversAndAgreeBitwise() throws Exception
    {
        final int n = 2;
        final int count = 100_003;
        final String endpoints = String.join(",", UdpPorts.loopbackEndpoints(n));
        final List<Map<String, String>> envs = new ArrayList<>();
        for (int r = 0; r < n; r++)
        {
            final Map<String, String> env = env(r, n, "udp");
            env.put(Configuration.UDP_ENDPOINTS_ENV, endpoints);
            env.put(Configuration.UDP_MTU_ENV, "8192");
            envs.add(env);
        }
        assertIdenticalAcrossRanks(runRanks(envs, count), n, count);
    }

    @Test
    void udpRanksWithAJobSecretBindTheirLinksToTheSameSessions() throws Exception
    {
        final String endpoints = String.join(",", UdpPorts.loopbackEndpoints(2));
        final List<Map<String, String>> envs = new ArrayList<>();
        for (int r = 0; r < 2; r++)
        {
            final Map<String, String> env = env(r, 2, "udp");
            env.put(Configuration.UDP_ENDPOINTS_ENV, endpoints);
            env.put(Configuration.JOB_SECRET_ENV, "0123456789abcdef0123456789abcdef");
            envs.add(env);
        }
        assertIdenticalAcrossRanks(runRanks(envs, 1000), 2, 1000);

        final Context withSecret = Context.fromEnvironment(envs.get(0));
        final Context withoutSecret = Context.fromEnvironment(env(0, 2, "udp"));
        assertEquals(null, Transports.udpSessionSecret(withoutSecret), "no secret: ids from the job id");
        final byte[] secretOnly = Transports.udpSessionSecret(withSecret);
        withSecret.sessionId(new byte[16]);
        assertFalse(java.util.Arrays.equals(secretOnly, Transports.udpSessionSecret(withSecret)),
            "the rendezvous session changes the sessions");
        withoutSecret.sessionId(new byte[16]);
        assertEquals(4 + 16 + 4, Transports.udpSessionSecret(withoutSecret).length);
    }

    @Test
    void udpRanksWithAJobSecretTagEveryMessageUnlessTheFrameMacIsOff() throws Exception
    {
        for (final String frameMac : new String[]{ null, "aes-gmac", "off" })
        {
            final String endpoints = String.join(",", UdpPorts.loopbackEndpoints(2));
            final List<Map<String, String>> envs = new ArrayList<>();
            for (int r = 0; r < 2; r++)
            {
                final Map<String, String> env = env(r, 2, "udp");
                env.put(Configuration.UDP_ENDPOINTS_ENV, endpoints);
                env.put(Configuration.JOB_SECRET_ENV, "0123456789abcdef0123456789abcdef");
                if (null != frameMac)
                {
                    env.put(Configuration.FRAME_MAC_ENV, frameMac);
                }
                envs.add(env);
            }
            final List<String> seen = RankThreads.values(RankThreads.run(2, 60_000,
                (rank) -> Communicator.fromEnvironment(envs.get(rank)), (comm) ->
                {
                    final float[] v = { comm.rank() + 1.5f, 2.25f };
                    comm.allReduce(v, ReduceOp.SUM);
                    assertEquals(4.0f, v[0]);
                    assertEquals(4.5f, v[1]);
                    final io.ringsync.transport.aeron.AeronTransport transport =
                        (io.ringsync.transport.aeron.AeronTransport)comm.transport();
                    final AeronTransportSeen result = new AeronTransportSeen(
                        transport.context().isFrameAuthenticated() ? transport.context().frameMac().name() : "none",
                        transport.context().mtuLength() - transport.maxMessageLength(),
                        comm.authenticationFailures());
                    return result.toString();
                }));
            final String expected = null == frameMac ? "HMAC_SHA256 48 0" :
                "off".equals(frameMac) ? "none 32 0" : "AES_GMAC 48 0";
            assertEquals(List.of(expected, expected), seen, "RINGSYNC_FRAME_MAC=" + frameMac);
        }
    }

    private record AeronTransportSeen(String tag, int overhead, long failures)
    {
        public String toString()
        {
            return tag + " " + overhead + " " + failures;
        }
    }

    @Test
    void udpRanksStartedWithoutALauncherLeaveNoFilesBehind() throws Exception
    {
        final long jobId = System.nanoTime() & 0xFFFF_FFFFL;
        final File defaultDir = new File(String.format("/dev/shm/ringsync-%016x", jobId));
        Assumptions.assumeTrue(new File("/dev/shm").isDirectory(), "needs /dev/shm");
        final String endpoints = String.join(",", UdpPorts.loopbackEndpoints(2));
        final List<Map<String, String>> envs = new ArrayList<>();
        for (int r = 0; r < 2; r++)
        {
            final Map<String, String> env = env(r, 2, "udp");
            env.remove(Configuration.JOB_DIR_ENV);
            env.put(Configuration.JOB_ID_ENV, Long.toString(jobId));
            env.put(Configuration.UDP_ENDPOINTS_ENV, endpoints);
            envs.add(env);
        }
        assertIdenticalAcrossRanks(runRanks(envs, 1000), 2, 1000);
        assertFalse(defaultDir.exists(), defaultDir + " was left behind");
    }

    @Test
    void missingOrWrongSettingsSayWhatToSet()
    {
        final Map<String, String> noRank = env(0, 2, "ipc");
        noRank.remove(Configuration.RANK_ENV);
        assertMessage(noRank, "RINGSYNC_RANK is not set");

        assertMessage(env(2, 2, "ipc"), "RINGSYNC_RANK=2 is out of range");
        assertMessage(env(0, 2, "tcp"), "RINGSYNC_TRANSPORT=tcp needs a rendezvous: set RINGSYNC_RENDEZVOUS=host:port");
        assertMessage(env(0, 2, "pigeon"), "RINGSYNC_TRANSPORT=pigeon is not a transport");
        assertMessage(env(0, 2, "ipc"), "RINGSYNC_AERON_DIR is not set");

        final Map<String, String> noDriver = env(0, 2, "ipc");
        noDriver.put(Configuration.AERON_DIR_ENV, jobDir.resolve("nothing-here").toString());
        assertMessage(noDriver, "no media driver runs in RINGSYNC_AERON_DIR=");

        assertMessage(env(0, 2, "udp"), "RINGSYNC_UDP_ENDPOINTS is not set");

        final Map<String, String> badTimeout = env(0, 2, "ipc");
        badTimeout.put(Configuration.TIMEOUT_MS_ENV, "soon");
        assertMessage(badTimeout, "RINGSYNC_TIMEOUT_MS=soon is not a whole number");
    }

    @Test
    void withoutATransportSetOneHostGetsShmUnlessTheOtherVariablesSayOtherwise()
    {
        final Map<String, String> env = new HashMap<>();
        assertEquals("shm", Configuration.TRANSPORT_DEFAULT);
        assertEquals("shm", Configuration.transport(env));
        env.put(Configuration.AERON_DIR_ENV, "/dev/shm/some-driver");
        assertEquals("ipc", Configuration.transport(env), "a driver's directory means ipc");
        env.put(Configuration.UDP_ENDPOINTS_ENV, "a:1,b:2");
        assertEquals("udp", Configuration.transport(env), "endpoints mean udp");
        env.put(Configuration.TRANSPORT_ENV, "SHM");
        assertEquals("shm", Configuration.transport(env), "an explicit setting wins");
    }

    @Test
    void aShmJobTooBigForDevShmIsRefusedBeforeAnyFileIsMade() throws Exception
    {
        final Map<String, String> env = env(0, 300, "shm");
        // 300 x 299 links of 256 MiB: more than any /dev/shm
        env.put(Configuration.SHM_SLOT_COUNT_ENV, "1024");
        env.put(Configuration.SHM_SLOT_LENGTH_ENV, "256KiB");
        assertMessage(env, "a 300-rank shm job needs ");
        // a single link above the layout's 1 GiB is refused as a bad setting, naming it
        env.put(Configuration.SHM_SLOT_COUNT_ENV, "4096");
        assertMessage(env, "RINGSYNC_SHM_SLOT_COUNT=4096 with slots of 262144 bytes makes a link file of ");
        assertFalse(Files.exists(jobDir.resolve("link-0-1.shm")), "no file may be made before the check");

        final Map<String, String> small = env(0, 4, "shm");
        final ConfigurationException ex = assertThrows(ConfigurationException.class,
            () -> ShmSpace.check(small, 4, jobDir.toFile(), 8L << 20));
        assertTrue(ex.getMessage().contains("only 8.0 MiB is free") && ex.getMessage().contains("--shm-size="),
            ex.getMessage());
        ShmSpace.check(small, 4, jobDir.toFile(), 64L << 20);
    }

    private static void assertMessage(final Map<String, String> env, final String expected)
    {
        final ConfigurationException ex = assertThrows(ConfigurationException.class,
            () -> Communicator.fromEnvironment(env).close());
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }
}

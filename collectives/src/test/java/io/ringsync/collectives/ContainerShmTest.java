package io.ringsync.collectives;

import io.ringsync.transport.PrivateDirectory;
import io.ringsync.transport.aeron.AeronMedia;
import io.ringsync.transport.aeron.MediaDriverHost;
import io.ringsync.transport.aeron.UdpPorts;
import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Finding 5 of issue 14 on real small file systems (tmpfs, mounted only with root; skipped otherwise): two ipc or
 * udp ranks with the default settings run in the 64 MiB of /dev/shm a docker container gets (Aeron's defaults
 * needed 94 MiB for udp), and in 8 MiB a udp rank is refused before it starts a driver, with the figures.
 */
@Timeout(120)
class ContainerShmTest
{
    private static Path mount(final String size) throws Exception
    {
        assumeTrue(0 == PrivateDirectory.currentUid(), "skipped: mounting a small tmpfs needs root");
        final Path mount = Files.createTempDirectory("ringsync-container-shm-");
        final Process mounting = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=700",
            "tmpfs", mount.toString()).redirectErrorStream(true).start();
        if (!mounting.waitFor(10, TimeUnit.SECONDS) || 0 != mounting.exitValue())
        {
            Files.deleteIfExists(mount);
            assumeTrue(false, "skipped: cannot mount a tmpfs here");
        }
        return mount;
    }

    private static void unmount(final Path mount) throws Exception
    {
        new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor(10, TimeUnit.SECONDS);
        IoUtil.delete(mount.toFile(), true);
    }

    private static Map<String, String> env(final int rank, final String transport, final File jobDir, final long jobId)
    {
        final Map<String, String> env = new HashMap<>();
        env.put(Configuration.RANK_ENV, Integer.toString(rank));
        env.put(Configuration.WORLD_SIZE_ENV, "2");
        env.put(Configuration.TRANSPORT_ENV, transport);
        env.put(Configuration.JOB_ID_ENV, "0x" + Long.toHexString(jobId));
        env.put(Configuration.JOB_DIR_ENV, jobDir.getPath());
        env.put(Configuration.TIMEOUT_MS_ENV, "20000");
        return env;
    }

    private static String udpEndpoints() throws IOException
    {
        return String.join(",", UdpPorts.loopbackEndpoints(2));
    }

    private static void runTwoRanks(final List<Map<String, String>> envs) throws Exception
    {
        final List<float[]> results = RankThreads.values(RankThreads.run(2, 60_000,
            (rank) -> Communicator.fromEnvironment(envs.get(rank)), (comm) ->
            {
                final float[] v = new float[256 * 1024];
                java.util.Arrays.fill(v, comm.rank() + 1);
                comm.allReduce(v, ReduceOp.SUM);
                return v;
            }));
        for (final float[] result : results)
        {
            assertEquals(3.0f, result[result.length - 1]);
        }
    }

    @Test
    void twoUdpOrIpcRanksFitTheSixtyFourMebibytesOfAContainer() throws Exception
    {
        final Path mount = mount("64m");
        try
        {
            final File udpDir = mount.resolve("udp-job").toFile();
            final String endpoints = udpEndpoints();
            final long udpJob = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
            final List<Map<String, String>> udp = new ArrayList<>();
            for (int r = 0; r < 2; r++)
            {
                final Map<String, String> env = env(r, "udp", udpDir, udpJob);
                env.put(Configuration.UDP_ENDPOINTS_ENV, endpoints);
                udp.add(env);
            }
            runTwoRanks(udp);

            final File ipcDir = PrivateDirectory.ensure(mount.resolve("ipc-job").toFile());
            try (MediaDriverHost driver = MediaDriverHost.launch(new File(ipcDir, "aeron"), AeronMedia.IPC,
                MediaDriverHost.IPC_TERM_LENGTH_DEFAULT, 2))
            {
                final long ipcJob = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
                final List<Map<String, String>> ipc = new ArrayList<>();
                for (int r = 0; r < 2; r++)
                {
                    final Map<String, String> env = env(r, "ipc", ipcDir, ipcJob);
                    env.put(Configuration.AERON_DIR_ENV, driver.aeronDirectoryName());
                    ipc.add(env);
                }
                runTwoRanks(ipc);
            }
        }
        finally
        {
            unmount(mount);
        }
    }

    @Test
    void aUdpRankThatDoesNotFitIsRefusedWithTheFiguresBeforeItsDriverStarts() throws Exception
    {
        final Path mount = mount("8m");
        try
        {
            final File dir = mount.resolve("job").toFile();
            final Map<String, String> env = env(0, "udp", dir, 0x5eedL);
            env.put(Configuration.UDP_ENDPOINTS_ENV, udpEndpoints());
            final ConfigurationException ex = assertThrows(ConfigurationException.class,
                () -> Communicator.fromEnvironment(env).close());
            assertTrue(ex.getMessage().contains("a rank of a 2-rank udp job") && ex.getMessage().contains(" is free") &&
                ex.getMessage().contains(Configuration.TERM_LENGTH_ENV), ex.getMessage());
            assertEquals(0, dir.list().length, String.join(",", dir.list()));
        }
        finally
        {
            unmount(mount);
        }
    }
}

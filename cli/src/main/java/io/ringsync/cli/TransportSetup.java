package io.ringsync.cli;

import io.ringsync.collectives.Configuration;
import io.ringsync.collectives.ConfigurationException;
import io.ringsync.collectives.RendezvousPorts;
import io.ringsync.collectives.ShmSpace;
import io.ringsync.transport.aeron.MediaDriverHost;
import io.ringsync.transport.aeron.UdpPorts;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gets one job on this host ready for its transport and says, as the variables every rank gets, how its ranks
 * reach each other: the room for its files checked first (shm, ipc, udp), the media driver hosted with its term
 * length (ipc), free loopback ports (udp) or a rendezvous (tcp), and a fresh job secret where the user set none.
 * It starts no rank; the launcher adds each rank's own variables.
 */
final class TransportSetup
{
    private final int np;
    private final LaunchTransport transport;
    private final long timeoutMs;
    private final String rendezvous;
    private final long shmUsableBytes;
    private final Map<String, String> childEnv;

    /**
     * @param np             ranks in the job.
     * @param transport      how they connect.
     * @param timeoutMs      deadline of each collective call to give the ranks, 0 to leave theirs alone.
     * @param rendezvous     {@code host:port} for rank 0 to serve the tcp rendezvous on, or null for 127.0.0.1 and a
     *                       free port.
     * @param shmUsableBytes free bytes of /dev/shm to assume, or -1 to measure them.
     * @param childEnv       the variables the ranks will see for what the launcher does not set itself.
     */
    TransportSetup(
        final int np,
        final LaunchTransport transport,
        final long timeoutMs,
        final String rendezvous,
        final long shmUsableBytes,
        final Map<String, String> childEnv)
    {
        this.np = np;
        this.transport = transport;
        this.timeoutMs = timeoutMs;
        this.rendezvous = rendezvous;
        this.shmUsableBytes = shmUsableBytes;
        this.childEnv = childEnv;
    }

    /**
     * @param jobId  of the job.
     * @param jobDir its directory, already made.
     * @param services where the media driver of an ipc job runs, to close with the job.
     * @return the variables common to every rank: the job and how its ranks reach each other.
     * @throws LaunchException when the job cannot be set up; the message says why.
     */
    Map<String, String> jobEnvironment(final long jobId, final Path jobDir, final JobServices services)
        throws LaunchException
    {
        final Map<String, String> env = new LinkedHashMap<>();
        env.put(Configuration.WORLD_SIZE_ENV, Integer.toString(np));
        env.put(Configuration.TRANSPORT_ENV, transport.envName());
        env.put(Configuration.JOB_ID_ENV, Launcher.hex(jobId));
        env.put(Configuration.JOB_DIR_ENV, jobDir.toString());
        if (timeoutMs > 0)
        {
            env.put(Configuration.TIMEOUT_MS_ENV, Long.toString(timeoutMs));
        }
        if (transport == LaunchTransport.IPC)
        {
            final File aeronDir = jobDir.resolve("aeron").toFile();
            final long termLength = ipcTermLength();
            checkSpace("ipc", jobDir);
            try
            {
                services.start("the media driver", () -> MediaDriverHost.launch(aeronDir, transport.media(),
                    (int)Math.max(termLength, MediaDriverHost.IPC_TERM_LENGTH_MIN), (int)Math.min(Integer.MAX_VALUE,
                    (long)np * (np - 1))));
            }
            catch (final RuntimeException ex)
            {
                throw new LaunchException("cannot start the job's media driver: " + ex.getMessage(), ex);
            }
            env.put(Configuration.AERON_DIR_ENV, aeronDir.getAbsolutePath());
        }
        else if (transport == LaunchTransport.SHM)
        {
            checkSpace("shm", jobDir);
        }
        else if (transport == LaunchTransport.TCP)
        {
            // rank 0 serves the rendezvous; a fresh secret keeps other processes out of the job
            env.put(Configuration.RENDEZVOUS_ENV, null != rendezvous ? rendezvous :
                "127.0.0.1:" + RendezvousPorts.freeHere());
            if (null == Configuration.jobSecret(childEnv))
            {
                env.put(Configuration.JOB_SECRET_ENV, randomSecret());
                // a secret drawn here guards the rendezvous; tagging every frame (1.3 ms of CPU per MiB) is for a
                // user who sets a secret, or RINGSYNC_FRAME_MAC, on purpose
                if (null == Configuration.frameMac(childEnv))
                {
                    env.put(Configuration.FRAME_MAC_ENV, "off");
                }
            }
        }
        else if (transport == LaunchTransport.UDP)
        {
            checkSpace("udp", jobDir);
            final List<String> endpoints = new ArrayList<>();
            for (final int port : freeUdpPorts(np))
            {
                endpoints.add("127.0.0.1:" + port);
            }
            env.put(Configuration.UDP_ENDPOINTS_ENV, String.join(",", endpoints));
            env.put(Configuration.UDP_MTU_ENV, Integer.toString(Launcher.LOOPBACK_UDP_MTU));
            // the links' Aeron session ids derive from it: without it a stranger who learns the job id could
            // compute them (the job id is in the job directory's name)
            if (null == Configuration.jobSecret(childEnv))
            {
                env.put(Configuration.JOB_SECRET_ENV, randomSecret());
                // as for tcp: a secret drawn here does not tag every message, a secret or RINGSYNC_FRAME_MAC the
                // user sets does
                if (null == Configuration.frameMac(childEnv))
                {
                    env.put(Configuration.FRAME_MAC_ENV, "off");
                }
            }
        }
        return env;
    }

    /**
     * The pre-flight check of the job's files on this host, before any is made.
     */
    private void checkSpace(final String transportName, final Path jobDir) throws LaunchException
    {
        try
        {
            ShmSpace.check(childEnv, transportName, np, jobDir.toFile(), shmUsableBytes);
        }
        catch (final RuntimeException ex)
        {
            throw new LaunchException(ex.getMessage(), ex);
        }
    }

    private long ipcTermLength() throws LaunchException
    {
        try
        {
            return Configuration.termLength(childEnv);
        }
        catch (final ConfigurationException ex)
        {
            throw new LaunchException(ex.getMessage(), ex);
        }
    }

    /**
     * Distinct ports, free when found, outside the kernel's ephemeral range ({@link UdpPorts}), for the ranks'
     * drivers to take. Another process could grab one in between; that is rare enough to just retry the job.
     */
    private static int[] freeUdpPorts(final int count) throws LaunchException
    {
        try
        {
            return UdpPorts.free(InetAddress.getLoopbackAddress(), count);
        }
        catch (final IOException ex)
        {
            throw new LaunchException("cannot find " + count + " free UDP ports on 127.0.0.1: " + ex.getMessage(), ex);
        }
    }

    /**
     * @return a fresh job secret: 32 random bytes in hex.
     */
    static String randomSecret()
    {
        final byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        final StringBuilder sb = new StringBuilder(64);
        for (final byte b : bytes)
        {
            sb.append(String.format("%02x", b & 0xFF));
        }
        return sb.toString();
    }
}

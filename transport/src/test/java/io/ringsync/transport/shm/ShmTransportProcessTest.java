package io.ringsync.transport.shm;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.OutboundLink;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static io.ringsync.transport.shm.ShmTestSupport.context;
import static io.ringsync.transport.shm.ShmTestSupport.lengthOf;
import static io.ringsync.transport.shm.ShmTestSupport.trySend;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Rank 0 in this JVM, rank 1 ({@link ShmEchoPeer}) in another: messages go through the files both map, and
 * the death of the other process is noticed from its pid.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@Tag("process") // starts a peer JVM
class ShmTransportProcessTest
{
    private static final int MESSAGES = 20_000;
    private static final long PEER_START_TIMEOUT_MS = 30_000;
    private static final long LOSS_DETECTION_TIMEOUT_MS = 5_000;

    private File dir;
    private File peerOutput;
    private Process peer;
    private ShmTransport t0;

    @BeforeEach
    void setUp()
    {
        dir = ShmTestSupport.newTestDirectory("process");
        peerOutput = new File(dir, "peer-output.txt");
    }

    @AfterEach
    void tearDown() throws InterruptedException
    {
        if (null != peer && peer.isAlive())
        {
            peer.destroyForcibly();
            peer.waitFor(10, TimeUnit.SECONDS);
        }
        CloseHelper.quietClose(t0);
        ShmTestSupport.deleteDirectory(dir);
    }

    @Test
    void echoesThroughAnotherProcessThenSeesItKilled() throws Exception
    {
        final long jobId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        t0 = ShmTransport.connect(context(dir, jobId, 0, 2));
        peer = startEchoPeer(jobId);

        final OutboundLink out = t0.outbound(1);
        final InboundLink in = t0.inbound(1);
        awaitOrDump("rank 1's process to connect", PEER_START_TIMEOUT_MS, () ->
        {
            t0.doWork();
            return t0.isConnected(1);
        });

        final int max = t0.maxMessageLength();
        final ShmTestSupport.Receiver receiver = new ShmTestSupport.Receiver(max);
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int sent = 0;
        while (receiver.next < MESSAGES)
        {
            int work = 0;
            if (sent < MESSAGES && trySend(out, sent, lengthOf(sent, max)))
            {
                sent++;
                work++;
            }
            work += in.poll(receiver, 16);
            if (0 == work)
            {
                if (System.nanoTime() - deadlineNs > 0 || !peer.isAlive())
                {
                    fail("sent " + sent + ", got " + receiver.next + " echoes back; " + t0.linkStatus(1) +
                        "; peer output: " + peerOutput());
                }
                Thread.yield();
            }
        }
        assertEquals(MESSAGES, sent);
        assertFalse(in.isLost());

        final long pid = peer.pid();
        peer.destroyForcibly();
        assertTrue(peer.waitFor(10, TimeUnit.SECONDS), "rank 1's process did not die");

        final long killedNs = System.nanoTime();
        awaitOrDump("rank 0 to see rank 1 (pid " + pid + ") lost", LOSS_DETECTION_TIMEOUT_MS, () ->
        {
            in.poll(receiver, 16);
            return in.isLost();
        });
        final long detectionMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNs);
        assertTrue(t0.linkStatus(1).contains("has exited"), t0.linkStatus(1));
        assertTrue(detectionMs < LOSS_DETECTION_TIMEOUT_MS, "detected after " + detectionMs + " ms");

        // the writer side notices too, once the dead reader's ring has filled up
        awaitOrDump("rank 0's claims to rank 1 to fail", LOSS_DETECTION_TIMEOUT_MS, () ->
        {
            final long result = out.tryClaim(64);
            if (result >= 0)
            {
                out.commit();
            }
            return result == OutboundLink.CLOSED;
        });
    }

    private Process startEchoPeer(final long jobId) throws IOException
    {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final ProcessBuilder builder = new ProcessBuilder(List.of(
            java,
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Xmx128m",
            "-cp", System.getProperty("java.class.path"),
            ShmEchoPeer.class.getName(),
            dir.getAbsolutePath(),
            Long.toString(jobId)));
        builder.redirectErrorStream(true);
        builder.redirectOutput(peerOutput);
        return builder.start();
    }

    private void awaitOrDump(final String what, final long timeoutMs, final BooleanSupplier condition)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("timed out after " + timeoutMs + " ms waiting for " + what + "; " + t0.linkStatus(1) +
                    "; peer output: " + peerOutput());
            }
            Thread.yield();
        }
    }

    private String peerOutput()
    {
        try
        {
            return Files.readString(peerOutput.toPath());
        }
        catch (final IOException ex)
        {
            return "(unreadable: " + ex + ")";
        }
    }
}

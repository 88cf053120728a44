package io.ringsync.transport.tcp;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.OutboundLink;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.tcp.TcpTestSupport.await;
import static io.ringsync.transport.tcp.TcpTestSupport.context;
import static io.ringsync.transport.tcp.TcpTestSupport.loopbackEndpoints;
import static io.ringsync.transport.tcp.TcpTestSupport.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A peer process killed with SIGKILL: the kernel closes its sockets, so its inbound link here ends (lost once
 * drained) and sending to it ends in CLOSED, without waiting for any timeout.
 */
@Tag("process")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpTransportProcessTest
{
    @Test
    void killedPeerProcessMakesLinksLostAndClosed() throws Exception
    {
        final String[] endpoints = loopbackEndpoints(2);
        final long jobId = ThreadLocalRandom.current().nextLong();
        final TcpTransport self = TcpTransport.connect(context(0, endpoints, jobId));
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Process peer = new ProcessBuilder(List.of(
            java, "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx64m",
            "-cp", System.getProperty("java.class.path"),
            TcpEchoPeer.class.getName(), endpoints[0], endpoints[1], Long.toString(jobId)))
            .redirectErrorStream(true)
            .start();
        try
        {
            final BufferedReader lines = new BufferedReader(
                new InputStreamReader(peer.getInputStream(), StandardCharsets.UTF_8));
            final String line = lines.readLine();
            assertEquals("READY", line, "peer said " + line + "; " + self.linkStatus(1));
            final InboundLink in = self.inbound(1);
            final OutboundLink out = self.outbound(1);
            final int[] received = { 0 };
            await("the peer's hello", 10_000, () ->
            {
                in.poll((buffer, offset, length) -> ++received[0] > 0, 1);
                return received[0] == 1;
            }, self);
            // one echo round trip, so both directions are known to work before the kill
            assertTrue(TcpTestSupport.offer(out, self, pattern(1, 500), 5_000) >= 0);
            await("the echo", 10_000, () ->
            {
                in.poll((buffer, offset, length) -> length == 500 && ++received[0] > 0, 1);
                return received[0] == 2;
            }, self);

            peer.destroyForcibly();
            assertTrue(peer.waitFor(10, TimeUnit.SECONDS));
            await("the inbound link from the killed peer to be lost", 10_000, in::isLost, self);
            await("CLOSED towards the killed peer", 10_000, () ->
            {
                final long result = out.tryClaim(100);
                if (result >= 0)
                {
                    out.commit();
                }
                return result == OutboundLink.CLOSED;
            }, self);
            final String status = self.linkStatus(1);
            assertTrue(status.contains("ended") && status.contains("lost"), status);
        }
        finally
        {
            peer.destroyForcibly();
            CloseHelper.quietClose(self);
        }
    }
}

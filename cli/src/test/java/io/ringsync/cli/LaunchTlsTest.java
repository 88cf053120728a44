package io.ringsync.cli;

import io.ringsync.collectives.Configuration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code RINGSYNC_TLS=1} on a tcp job the launcher starts (its own job secret): every rank gets the exact sum, with
 * the bits of the same job without TLS; and a udp job with it is refused at once, naming the variable.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@Tag("process") // launches jobs of JVM ranks
class LaunchTlsTest
{
    @Test
    void aTcpJobOverTlsGetsTheExactSumWithTheBitsOfOneWithout()
    {
        final String withTls = hashOf(run(LaunchTransport.TCP, "1"));
        final String without = hashOf(run(LaunchTransport.TCP, "0"));
        assertEquals(without, withTls, "TLS changed the result's bits");
    }

    @Test
    void aUdpJobWithTlsIsRefusedNamingTheVariable()
    {
        final Job job = run(LaunchTransport.UDP, "1");
        assertTrue(Launcher.EXIT_OK != job.exitCode, job.describe());
        assertTrue(job.describe().contains(Configuration.TLS_ENV) && job.describe().contains("is for tcp"),
            job.describe());
    }

    private static Job run(final LaunchTransport transport, final String tls)
    {
        return Job.run(Launcher.builder()
            .np(3)
            .transport(transport)
            .environment(Configuration.TLS_ENV, tls)
            .timeoutMs(30_000)
            .command(Job.java(SumCheckMain.class)));
    }

    private static String hashOf(final Job job)
    {
        final String hash = job.agreedSumCheckHash(3);
        return hash;
    }
}

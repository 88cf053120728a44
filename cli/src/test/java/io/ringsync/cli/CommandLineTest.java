package io.ringsync.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the commands say and return when the command line is wrong, or asks for help.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CommandLineTest
{
    private static final class Result
    {
        final int exitCode;
        final String out;
        final String err;

        Result(final int exitCode, final String out, final String err)
        {
            this.exitCode = exitCode;
            this.out = out;
            this.err = err;
        }

        public String toString()
        {
            return "exit " + exitCode + "\nout: " + out + "\nerr: " + err;
        }
    }

    private static Result run(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int exitCode = RingsyncCommand.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(exitCode, out.toString(), err.toString());
    }

    @Test
    void npMustBePositive()
    {
        final Result result = run("launch", "--np", "0", "--", "true");
        assertEquals(Launcher.EXIT_USAGE, result.exitCode, result::toString);
        assertTrue(result.err.contains("--np must be at least 1, got 0"), result::toString);
    }

    @Test
    void aCommandIsRequired()
    {
        final Result result = run("launch", "--np", "2");
        assertEquals(Launcher.EXIT_USAGE, result.exitCode, result::toString);
        assertTrue(result.err.contains("no command to launch"), result::toString);

        final Result noNp = run("launch", "--", "true");
        assertEquals(Launcher.EXIT_USAGE, noNp.exitCode, noNp::toString);
        assertTrue(noNp.err.contains("--np"), noNp::toString);
    }

    @Test
    void shmNeedsNoDriver()
    {
        final Result result = run("driver", "--transport", "shm");
        assertEquals(Launcher.EXIT_USAGE, result.exitCode, result::toString);
        assertTrue(result.err.contains("shm needs no media driver"), result::toString);
    }

    @Test
    void unknownTransportAndBadSizesAreUsageErrors()
    {
        final Result pigeon = run("launch", "--np", "2", "--transport", "pigeon", "--", "true");
        assertEquals(Launcher.EXIT_USAGE, pigeon.exitCode, pigeon::toString);
        assertTrue(pigeon.err.contains("use shm (driverless shared memory, one host), tcp"), pigeon::toString);
        final Result udpHosts = run("launch", "--hosts", "a:2", "--transport", "udp", "--", "true");
        assertEquals(Launcher.EXIT_USAGE, udpHosts.exitCode, udpHosts::toString);
        assertTrue(udpHosts.err.contains("--transport udp cannot span hosts"), udpHosts::toString);
        final Result both = run("launch", "--hosts", "a:2", "--hostfile", "hosts.txt", "--", "true");
        assertTrue(both.err.contains("give --hosts or --hostfile, not both"), both::toString);
        final Result tooMany = run("launch", "--hosts", "a:2,b", "--np", "4", "--", "true");
        assertEquals(Launcher.EXIT_USAGE, tooMany.exitCode, tooMany::toString);
        assertTrue(tooMany.err.contains("--np 4 is more than the 3 slots of [a:2, b:1]"), tooMany::toString);
        final Result badHost = run("launch", "--hosts", "a:0", "--", "true");
        assertTrue(badHost.err.contains("--hosts: 'a:0' is not host[:slots]"), badHost::toString);
        final Result odd = run("bench", "--sizes", "4,6");
        assertEquals(Launcher.EXIT_USAGE, odd.exitCode, odd::toString);
        assertTrue(odd.err.contains("6 bytes is not a whole number of float32 elements"), odd::toString);
        final Result junk = run("bench", "--sizes", "4,lots");
        assertEquals(Launcher.EXIT_USAGE, junk.exitCode, junk::toString);
        assertTrue(junk.err.contains("'lots' is not a size"), junk::toString);
        assertEquals(Launcher.EXIT_USAGE, run("bench", "--format", "xml").exitCode);
        assertEquals(Launcher.EXIT_USAGE, run("demo", "--size", "6").exitCode);
        assertEquals(Launcher.EXIT_USAGE, run("demo", "average", "--size", "6").exitCode);
        final Result badMode = run("demo", "sgd", "--mode", "later");
        assertEquals(Launcher.EXIT_USAGE, badMode.exitCode, badMode::toString);
        assertTrue(badMode.err.contains("--mode must be one of sync|async|none"), badMode::toString);
        final Result noRank = run("demo", "kmeans", "--data", "points.csv");
        assertEquals(Launcher.EXIT_USAGE, noRank.exitCode, noRank::toString);
        assertTrue(noRank.err.contains("has no {rank}"), noRank::toString);
        assertEquals(Launcher.EXIT_USAGE, run("demo", "juggle").exitCode);
        assertEquals(Launcher.EXIT_USAGE, run().exitCode);
    }

    @Test
    void everyCommandHasHelp()
    {
        for (final String command : new String[]{ "launch", "env", "driver", "bench", "demo", "classpath" })
        {
            final Result result = run(command, "--help");
            assertEquals(Launcher.EXIT_OK, result.exitCode, result::toString);
            assertTrue(result.out.contains("Usage: ringsync " + command), result::toString);
        }
        for (final String demo : new String[]{ "sgd", "kmeans", "average" })
        {
            final Result result = run("demo", demo, "--help");
            assertEquals(Launcher.EXIT_OK, result.exitCode, result::toString);
            assertTrue(result.out.contains("Usage: ringsync demo " + demo), result::toString);
        }
        assertEquals(Launcher.EXIT_OK, run("--help").exitCode);
    }

    @Test
    void classpathPrintsOnlyAClassPathThatHoldsRingsync()
    {
        final Result result = run("classpath");
        assertEquals(Launcher.EXIT_OK, result.exitCode, result::toString);
        final String[] lines = result.out.split("\n");
        assertEquals(1, lines.length, result::toString);
        final String classPath = lines[0];
        // from Maven the classes come from module directories; from bin/ringsync it is the one shaded jar
        assertTrue(classPath.contains("ringsync-collectives") || classPath.contains("collectives/target/classes"),
            classPath);
    }

    @Test
    void sizesParseTheRanksGrammarAndRefuseAmbiguousDecimalUnits()
    {
        assertEquals(List.of(4L, 65536L, 1L << 20, 16L << 20, 4096L, 1L << 20, 1L << 30, 512L),
            ByteSizes.parseList("4,64KiB, 1MiB,16mib,4k,1m,1GiB,512B"));
        final IllegalArgumentException ambiguous = assertThrows(IllegalArgumentException.class,
            () -> ByteSizes.parse("2MB"));
        assertTrue(ambiguous.getMessage().contains("ambiguous") && ambiguous.getMessage().contains("1m"),
            ambiguous.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("-4"));
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("1.5MiB"));
        assertThrows(IllegalArgumentException.class, () -> ByteSizes.parseList(","));
        assertEquals("64 KiB", ByteSizes.format(65536));
        assertEquals("1000 B", ByteSizes.format(1000));
    }
}

package io.ringsync.cli;

import io.ringsync.collectives.metrics.CommunicatorStats;
import io.ringsync.collectives.metrics.MetricsFile;
import io.ringsync.collectives.metrics.MetricsLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ringsync stat} against a running job of two JVM ranks: its {@code --once --json} output agrees with what
 * a CountersReader of this process reads from each rank's counters file, and with the calls and bytes the ranks
 * made; after rank 1 is killed, stat still shows both (rank 1 not alive), {@code --history} shows the timeline, and
 * the launcher prints the merged timeline when the job fails.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@Tag("process") // launches jobs of JVM ranks
class StatCommandTest
{
    private static final long CALLS = StatRankMain.SMALL + StatRankMain.LARGE + 1; // and the barrier
    private static final long VECTOR_BYTES = 4L * (StatRankMain.SMALL * StatRankMain.SMALL_COUNT +
        StatRankMain.LARGE * StatRankMain.LARGE_COUNT);

    private File markers;
    private CompletableFuture<Job> job;

    @BeforeEach
    void setUp() throws Exception
    {
        markers = Files.createTempDirectory("ringsync-stat-test").toFile();
    }

    @AfterEach
    void tearDown() throws Exception
    {
        // let the ranks finish whatever happened, so no process outlives the test
        new File(markers, "go").createNewFile();
        if (null != job)
        {
            job.get(60, TimeUnit.SECONDS);
        }
        try (java.util.stream.Stream<java.nio.file.Path> files = Files.walk(markers.toPath()))
        {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    @Test
    void onceJsonAgreesWithTheCountersWhileTheJobRuns() throws Exception
    {
        final File jobDir = start("ok");
        final String json = stat(jobDir.getPath(), "--once", "--json", "--interval", "100");
        for (int rank = 0; rank < 2; rank++)
        {
            final String row = rankObject(json, rank);
            final MetricsFile file = MetricsFile.open(new File(jobDir, MetricsLayout.fileName(rank)));
            try
            {
                final java.util.Map<String, Long> counters = file.countersByLabel();
                final CommunicatorStats stats = file.snapshot();
                assertEquals(CALLS, stats.calls());
                assertEquals(VECTOR_BYTES, stats.vectorBytes());
                assertEquals(CALLS, number(row, "calls"), row);
                assertEquals(VECTOR_BYTES, number(row, "vectorBytes"), row);
                assertEquals(stats.bytesSent()[1 - rank], array(row, "bytesSent")[1 - rank], row);
                assertEquals(stats.bytesReceived()[1 - rank], array(row, "bytesReceived")[1 - rank], row);
                assertEquals(stats.p99Ns(), number(row, "p99Ns"), row);
                assertEquals(stats.skewNs()[1 - rank], array(row, "skewNs")[1 - rank], row);
                assertEquals(StatRankMain.SMALL, counters.get("rank " + rank + ": calls allReduce small"), counters::toString);
                assertEquals(StatRankMain.LARGE, counters.getOrDefault("rank " + rank + ": calls allReduce direct", 0L) +
                    counters.getOrDefault("rank " + rank + ": calls allReduce ring", 0L), counters::toString);
                assertEquals(counters.get("rank " + rank + ": bytes sent peer " + (1 - rank)),
                    array(row, "bytesSent")[1 - rank], row);
                assertTrue(row.contains("\"alive\":true") && row.contains("\"state\":\"idle\""), row);
                assertEquals(CALLS, number(row, "sequence"), row);
                assertTrue(row.contains("\"callsPerSecond\":0.000"), "the ranks wait, idle: " + row);
            }
            finally
            {
                file.close();
            }
        }
        new File(markers, "go").createNewFile();
        final Job done = job.get(60, TimeUnit.SECONDS);
        assertEquals(Launcher.EXIT_OK, done.exitCode, done::describe);
    }

    @Test
    void aDeadRankIsStillShownAndTheLauncherPrintsTheMergedTimeline() throws Exception
    {
        final File jobDir = start("die");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String json;
        do
        {
            json = stat(jobDir.getPath(), "--once", "--json", "--interval", "50");
        }
        while (!rankObject(json, 1).contains("\"alive\":false") && System.nanoTime() < deadline);
        assertTrue(rankObject(json, 1).contains("\"alive\":false"), json);
        assertEquals(CALLS, number(rankObject(json, 1), "calls"), json);
        assertTrue(rankObject(json, 0).contains("\"alive\":true"), json);

        final String history = stat(jobDir.getPath(), "--history", "--last", "3");
        assertTrue(history.contains("rank 0: last call #" + CALLS + " barrier ok"), history);
        assertTrue(history.contains("rank 1: last call #" + CALLS + " barrier ok"), history);

        new File(markers, "go").createNewFile();
        final Job done = job.get(60, TimeUnit.SECONDS);
        assertEquals(Launcher.EXIT_FAILED, done.exitCode, done::describe);
        final String log = done.allLog();
        assertTrue(log.contains("rank 0: last call #" + (CALLS + 1) + " allReduce failed"), done::describe);
        assertTrue(log.contains("rank 1: last call #" + CALLS + " barrier ok (others reached #" +
            (CALLS + 1) + ")"), done::describe);
    }

    private File start(final String scenario) throws Exception
    {
        job = CompletableFuture.supplyAsync(() -> Job.run(Launcher.builder()
            .np(2)
            .transport(LaunchTransport.SHM)
            .timeoutMs(20_000)
            .command(Job.java(StatRankMain.class, markers.getPath(), scenario))));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        final File ready0 = new File(markers, "ready-0");
        final File ready1 = new File(markers, "ready-1");
        while (!(ready0.exists() && ready1.exists()))
        {
            assertTrue(System.nanoTime() < deadline && !job.isDone(), "the ranks did not get ready: " +
                (job.isDone() ? job.get().describe() : "timeout"));
            Thread.sleep(20);
        }
        return new File(Files.readString(ready0.toPath()).trim());
    }

    private static String stat(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final String[] command = new String[args.length + 1];
        command[0] = "stat";
        System.arraycopy(args, 0, command, 1, args.length);
        final int code = RingsyncCommand.execute(new PrintWriter(out), new PrintWriter(err), command);
        assertEquals(0, code, "stat failed: " + out + err);
        return out.toString();
    }

    /**
     * The object of one rank in stat's JSON: from its {@code "rank":N} to the next rank's.
     */
    private static String rankObject(final String json, final int rank)
    {
        final int start = json.indexOf("{\"rank\":" + rank + ",");
        assertTrue(start >= 0, "no rank " + rank + " in " + json);
        final int next = json.indexOf("{\"rank\":", start + 1);
        return json.substring(start, next < 0 ? json.length() : next);
    }

    private static long number(final String object, final String field)
    {
        final Matcher m = Pattern.compile("\"" + field + "\":(-?\\d+)").matcher(object);
        assertTrue(m.find(), "no " + field + " in " + object);
        return Long.parseLong(m.group(1));
    }

    private static long[] array(final String object, final String field)
    {
        final Matcher m = Pattern.compile("\"" + field + "\":\\[([-\\d,]*)]").matcher(object);
        assertTrue(m.find(), "no " + field + " in " + object);
        final String[] parts = m.group(1).split(",");
        final long[] values = new long[parts.length];
        for (int i = 0; i < parts.length; i++)
        {
            values[i] = Long.parseLong(parts[i]);
        }
        return values;
    }
}

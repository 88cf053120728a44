package io.ringsync.cli;

import io.ringsync.collectives.metrics.CallRecord;
import io.ringsync.collectives.metrics.CommunicatorStats;
import io.ringsync.collectives.metrics.FlightTimeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.File;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code ringsync stat [JOB]}: the ranks of the jobs on this host, from their counters files, refreshed like
 * AeronStat; {@code --once} for one sample, {@code --json} for scripts, {@code --history} for the merged flight
 * recorder timeline.
 */
@Command(
    name = "stat",
    header = "Watch the jobs running on this host: one row per rank, from its counters in the job directory.",
    mixinStandardHelpOptions = true,
    versionProvider = RingsyncCommand.Version.class,
    description = {
        "Per rank: state and call number (in-call with chunks received), calls/s, p50 and p99 call time, " +
            "vector bytes/s, the peer this rank waited on most (arrival skew: time from its start of a call to " +
            "that peer's first chunk, summed over the calls where the peer came last), heartbeat age, dropped " +
            "messages and back-pressured claims. Rates are over the refresh interval. Ranks that died are shown " +
            "too (alive=no): their files stay in the job directory until the launcher removes it."
    },
    footer = { "", "Exit codes: 0 shown, 1 no job found, 2 wrong command line." })
final class StatCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "JOB",
        description = "A job directory, or a job id (hex) under /dev/shm; default: every ringsync job there.")
    String job;

    @Option(names = "--once", description = "Take one sample (two reads, --interval apart, for the rates) and exit.")
    boolean once;

    @Option(names = "--json", description = "Print JSON, one object per sample, for scripts.")
    boolean json;

    @Option(names = "--history", description = "Print each job's merged flight recorder timeline and exit.")
    boolean history;

    @Option(names = "--last", defaultValue = "16", description = "Calls of each rank in --history (default: ${DEFAULT-VALUE}).")
    int last;

    @Option(names = "--interval", defaultValue = "1000", description = "Refresh interval in ms (default: ${DEFAULT-VALUE}).")
    long intervalMs;

    @Option(names = "--root", hidden = true, description = "Where job directories are (tests).")
    File root;

    @Override
    public Integer call() throws Exception
    {
        final PrintWriter out = spec.commandLine().getOut();
        final File base = null != root ? root : JobDirectory.defaultRoot().toFile();
        final List<File> explicit = new ArrayList<>();
        if (null != job)
        {
            final File dir = new File(job);
            explicit.add(dir.isDirectory() ? dir : new File(base, JobDirectory.PREFIX + job));
            if (!explicit.get(0).isDirectory())
            {
                spec.commandLine().getErr().println("ringsync stat: no job directory " + job + " (nor " +
                    explicit.get(0) + ")");
                return 1;
            }
        }
        final StatSampler sampler = new StatSampler(explicit, base);
        if (history)
        {
            return printHistory(out, sampler);
        }
        sampler.sample();
        while (true)
        {
            Thread.sleep(Math.max(1, intervalMs));
            final List<StatSampler.RankRow> rows = sampler.sample();
            if (json)
            {
                out.println(json(rows));
            }
            else
            {
                if (!once)
                {
                    out.print("\033[H\033[2J");
                }
                out.print(table(rows));
            }
            out.flush();
            if (once)
            {
                return rows.isEmpty() ? 1 : 0;
            }
        }
    }

    private int printHistory(final PrintWriter out, final StatSampler sampler)
    {
        final List<File> dirs = sampler.jobDirectories();
        final StringBuilder sb = new StringBuilder(json ? "{\"jobs\":[" : "");
        boolean first = true;
        for (final File dir : dirs)
        {
            final Map<Integer, List<CallRecord>> byRank = FlightTimeline.read(dir);
            if (json)
            {
                sb.append(first ? "" : ",").append("{\"directory\":").append(EnvCommand.jsonString(dir.getPath()))
                    .append(",\"history\":[");
                boolean firstRecord = true;
                for (final List<CallRecord> records : byRank.values())
                {
                    for (final CallRecord record : records.subList(Math.max(0, records.size() - last), records.size()))
                    {
                        sb.append(firstRecord ? "" : ",");
                        appendRecord(sb, record);
                        firstRecord = false;
                    }
                }
                sb.append("]}");
            }
            else
            {
                sb.append("job ").append(dir).append('\n');
                for (final String line : FlightTimeline.render(byRank, last))
                {
                    sb.append("  ").append(line).append('\n');
                }
            }
            first = false;
        }
        out.println(json ? sb.append("]}") : sb);
        out.flush();
        return dirs.isEmpty() ? 1 : 0;
    }

    static String table(final List<StatSampler.RankRow> rows)
    {
        final StringBuilder sb = new StringBuilder();
        File dir = null;
        final long nowMs = System.currentTimeMillis();
        for (final StatSampler.RankRow row : rows)
        {
            if (!row.directory().equals(dir))
            {
                dir = row.directory();
                sb.append(String.format("job %s%n", dir));
                sb.append(String.format("%4s %8s %5s %-9s %9s %9s %10s %10s %10s %-18s %9s %8s %8s%n", "rank", "pid",
                    "alive", "state", "call", "calls/s", "p50 us", "p99 us", "MB/s", "waited on most", "hb age ms",
                    "dropped", "backpr"));
            }
            final CommunicatorStats stats = row.stats();
            final Phase status = new Phase(row);
            final long[] skew = stats.skewNs();
            final long[] lastInto = stats.lastIntoCall();
            int most = -1;
            for (int peer = 0; peer < skew.length; peer++)
            {
                if (lastInto[peer] > 0 && (most < 0 || skew[peer] > skew[most]))
                {
                    most = peer;
                }
            }
            sb.append(String.format("%4d %8d %5s %-9s %9s %9s %10.1f %10.1f %10s %-18s %9s %8d %8d%n",
                stats.rank(), stats.pid(), row.alive() ? "yes" : "no", status.state, status.call,
                row.callsPerSec() < 0 ? "-" : String.format("%.1f", row.callsPerSec()), stats.p50Ns() / 1e3,
                stats.p99Ns() / 1e3, row.bytesPerSec() < 0 ? "-" : String.format("%.1f", row.bytesPerSec() / 1e6),
                most < 0 ? "-" : String.format("%s %.1f us/call", skew.length == stats.worldSize() ?
                    "rank " + most : "peers", skew[most] / 1e3 / lastInto[most]),
                null == row.status() ? "-" : Long.toString(Math.max(0, nowMs - row.status().heartbeatMs())),
                stats.droppedTotal(), CommunicatorStats.sum(stats.backPressure())));
        }
        if (rows.isEmpty())
        {
            sb.append("no ringsync job with counters found\n");
        }
        return sb.toString();
    }

    /**
     * The state and call columns of a row, from its status file (or, without one, from its counters).
     */
    private static final class Phase
    {
        final String state;
        final String call;

        Phase(final StatSampler.RankRow row)
        {
            if (null != row.status())
            {
                state = row.status().state();
                call = "#" + row.status().sequence() + ("in-call".equals(row.status().state()) ?
                    "/" + row.status().progress() : "");
            }
            else
            {
                state = row.alive() ? "?" : "gone";
                call = "#" + row.stats().calls();
            }
        }
    }

    static String json(final List<StatSampler.RankRow> rows)
    {
        final Map<File, List<StatSampler.RankRow>> byJob = new TreeMap<>();
        for (final StatSampler.RankRow row : rows)
        {
            byJob.computeIfAbsent(row.directory(), d -> new ArrayList<>()).add(row);
        }
        final StringBuilder sb = new StringBuilder("{\"jobs\":[");
        boolean firstJob = true;
        for (final Map.Entry<File, List<StatSampler.RankRow>> job : byJob.entrySet())
        {
            sb.append(firstJob ? "" : ",").append("{\"directory\":").append(EnvCommand.jsonString(job.getKey().getPath()))
                .append(",\"ranks\":[");
            boolean first = true;
            for (final StatSampler.RankRow row : job.getValue())
            {
                sb.append(first ? "" : ",");
                appendRank(sb, row);
                first = false;
            }
            sb.append("]}");
            firstJob = false;
        }
        return sb.append("]}").toString();
    }

    private static void appendRank(final StringBuilder sb, final StatSampler.RankRow row)
    {
        final CommunicatorStats s = row.stats();
        final Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("rank", s.rank());
        fields.put("worldSize", s.worldSize());
        fields.put("pid", s.pid());
        fields.put("jobId", Long.toHexString(s.jobId()));
        fields.put("alive", row.alive());
        fields.put("state", null == row.status() ? null : row.status().state());
        fields.put("sequence", null == row.status() ? null : row.status().sequence());
        fields.put("progress", null == row.status() ? null : row.status().progress());
        fields.put("heartbeatAgeMs", null == row.status() ? null : Math.max(0, row.sampledMs() -
            row.status().heartbeatMs()));
        fields.put("calls", s.calls());
        fields.put("callsByPath", s.callsByPath());
        fields.put("failedCalls", s.failedCalls());
        fields.put("vectorBytes", s.vectorBytes());
        fields.put("callsPerSecond", row.callsPerSec());
        fields.put("bytesPerSecond", row.bytesPerSec());
        fields.put("lastCallNs", s.lastCallNs());
        fields.put("totalCallNs", s.totalCallNs());
        fields.put("p50Ns", s.p50Ns());
        fields.put("p99Ns", s.p99Ns());
        fields.put("maxNs", s.maxNs());
        fields.put("bytesSent", s.bytesSent());
        fields.put("bytesReceived", s.bytesReceived());
        fields.put("chunksSent", s.chunksSent());
        fields.put("chunksReceived", s.chunksReceived());
        fields.put("backPressure", s.backPressure());
        fields.put("lastIntoCall", s.lastIntoCall());
        fields.put("skewNs", s.skewNs());
        fields.put("dropped", s.dropped());
        fields.put("droppedTotal", s.droppedTotal());
        appendObject(sb, fields);
    }

    private static void appendRecord(final StringBuilder sb, final CallRecord r)
    {
        final Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("rank", r.rank());
        fields.put("sequence", r.sequence());
        fields.put("collective", r.collective());
        fields.put("path", r.path());
        fields.put("bytes", r.bytes());
        fields.put("startEpochUs", r.startEpochUs());
        fields.put("startNanos", r.startNanos());
        fields.put("durationNs", r.durationNs());
        fields.put("waitedOn", r.waitedOn());
        fields.put("waitedNs", r.waitedNs());
        fields.put("outcome", r.outcome());
        appendObject(sb, fields);
    }

    private static void appendObject(final StringBuilder sb, final Map<String, ?> fields)
    {
        sb.append('{');
        boolean first = true;
        for (final Map.Entry<String, ?> field : fields.entrySet())
        {
            sb.append(first ? "" : ",").append(EnvCommand.jsonString(field.getKey())).append(':');
            appendValue(sb, field.getValue());
            first = false;
        }
        sb.append('}');
    }

    @SuppressWarnings("unchecked")
    private static void appendValue(final StringBuilder sb, final Object value)
    {
        if (null == value)
        {
            sb.append("null");
        }
        else if (value instanceof String)
        {
            sb.append(EnvCommand.jsonString((String)value));
        }
        else if (value instanceof long[])
        {
            final long[] values = (long[])value;
            sb.append('[');
            for (int i = 0; i < values.length; i++)
            {
                sb.append(i == 0 ? "" : ",").append(values[i]);
            }
            sb.append(']');
        }
        else if (value instanceof Map)
        {
            appendObject(sb, (Map<String, ?>)value);
        }
        else if (value instanceof Double)
        {
            final double d = (Double)value;
            sb.append(Double.isFinite(d) ? String.format(java.util.Locale.ROOT, "%.3f", d) : "null");
        }
        else
        {
            sb.append(value);
        }
    }
}

package io.ringsync.collectives;

import io.ringsync.transport.LocalTransport;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Ranks as threads over {@link LocalTransport}, on the one harness ({@link RankThreads}): each rank gets its own
 * connected communicator with the test's settings. Bounded by three deadlines plus 20 s.
 */
final class LocalCluster
{
    private static final Context DEFAULT = new Context().timeoutNs(TimeUnit.SECONDS.toNanos(20));

    private LocalCluster()
    {
    }

    static <T> List<RankThreads.Outcome<T>> run(
        final int size, final int linkCapacity, final Context template, final RankThreads.RankBody<T> body)
        throws Exception
    {
        return run(size, linkCapacity, (rank) -> template, body);
    }

    /**
     * As {@link #run(int, int, Context, RankThreads.RankBody)} with settings per rank, e.g. to give ranks
     * settings that disagree.
     */
    static <T> List<RankThreads.Outcome<T>> run(
        final int size, final int linkCapacity, final IntFunction<Context> templates, final RankThreads.RankBody<T> body)
        throws Exception
    {
        final LocalTransport[] transports = LocalTransport.createJob(size, linkCapacity);
        final long boundMs = TimeUnit.NANOSECONDS.toMillis(templates.apply(0).timeoutNs()) * 3 + 20_000;
        return RankThreads.run(size, boundMs, (rank) -> Communicator.connect(transports[rank],
            settingsOf(templates.apply(rank))), body);
    }

    static <T> List<RankThreads.Outcome<T>> run(final int size, final RankThreads.RankBody<T> body) throws Exception
    {
        return run(size, LocalTransport.LINK_CAPACITY_DEFAULT, DEFAULT, body);
    }

    /**
     * Run and rethrow the first rank failure, so a test sees the real exception.
     */
    static <T> List<T> runAll(final int size, final RankThreads.RankBody<T> body) throws Exception
    {
        return runAll(size, DEFAULT, body);
    }

    /**
     * As {@link #runAll(int, RankThreads.RankBody)} with the given settings and default links.
     */
    static <T> List<T> runAll(final int size, final Context template, final RankThreads.RankBody<T> body)
        throws Exception
    {
        return RankThreads.values(run(size, LocalTransport.LINK_CAPACITY_DEFAULT, template, body));
    }

    /**
     * A fresh context per rank with the template's settings: a context is concluded once per communicator.
     */
    private static Context settingsOf(final Context template)
    {
        return new Context()
            .timeoutNs(template.timeoutNs())
            .chunkBytes(template.chunkBytes())
            .idle(template.idle())
            .smallMaxBytes(template.smallMaxBytes())
            .ringReserve(template.ringReserve())
            .wire(template.wire())
            .jobId(template.jobId());
    }
}

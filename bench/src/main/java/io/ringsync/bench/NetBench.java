package io.ringsync.bench;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.Context;
import io.ringsync.collectives.ReduceOp;
import io.ringsync.transport.ForwardingInboundLink;
import io.ringsync.transport.ForwardingOutboundLink;
import io.ringsync.transport.ForwardingTransport;
import io.ringsync.transport.InboundLink;
import io.ringsync.transport.InboundWaiter;
import io.ringsync.transport.MessageHandler;
import io.ringsync.transport.OutboundLink;
import io.ringsync.transport.Transport;
import io.ringsync.transport.aeron.AeronMedia;
import io.ringsync.transport.aeron.AeronTransport;
import io.ringsync.transport.tcp.TcpTransport;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * One rank of an AllReduce benchmark between hosts: builds a tcp or udp transport from its arguments, joins with
 * {@link Communicator#connect(Transport, Context)} and times float32 SUM calls the way {@code ringsync bench} and
 * {@code bench/peers} do (the JVM primed once, {@link Priming}; a correctness check per size, untimed warm-up, then
 * each call timed on every rank and the slowest rank's time taken per call through an allReduce(MAX) of the times).
 * Rank 0 prints the CSV rows of {@code ringsync bench} and a twelfth column, {@code cpu_us}: the CPU time all ranks
 * together spent per timed call (every thread, user and system). Run one per (simulated) host, e.g. by
 * {@code bench/cluster/compare-netns.sh}.
 * <pre>
 * NetBench --transport tcp|udp --rank R --np N --endpoints host:port,host:port,... [--sizes 4KiB,1MiB]
 *          [--budget 2] [--job-id ID] [--wait none|epoll] [--window BYTES] [--socket-buffer BYTES] [--job-dir DIR]
 * NetBench --transport env --label LABEL [--sizes ...] [--budget ...]
 * </pre>
 * {@code --transport env} joins as a user's program does, with {@link Communicator#fromEnvironment()} (rank, world
 * size, rendezvous, {@code RINGSYNC_HIERARCHY}, {@code RINGSYNC_WIRE} from the environment), so the host-aware path
 * is taken when ranks share a host; {@code --label} names the variant in the CSV's transport column.
 * Settings of the communicator come from the environment as for {@code Communicator.fromEnvironment}
 * ({@code RINGSYNC_CHUNK_BYTES}, {@code RINGSYNC_IDLE}, ...). {@code --wait epoll} runs the tcp transport behind a
 * stand-in for the idle strategy the collectives do not have yet: once a rank made no progress for
 * {@code EPOLL_AFTER_IDLE_ROUNDS} rounds in a row (64, or the system property
 * {@code ringsync.bench.epollAfterIdleRounds}), {@link Transport#doWork()} blocks in the transport's
 * {@link InboundWaiter} for up to {@value #EPOLL_WAIT_US} us. With {@code RINGSYNC_JOB_SECRET} set, a tcp job
 * authenticates every frame (the CSV's transport column says {@code tcp-mac}).
 */
public final class NetBench
{
    static final String HEADER =
        "bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps,cpu_us";
    static final int EPOLL_AFTER_IDLE_ROUNDS = Integer.getInteger("ringsync.bench.epollAfterIdleRounds", 64);
    static final long EPOLL_WAIT_US = 1000;
    /** Warm-up calls between two checks of the time it has taken. */
    static final int WARMUP_BLOCK = 16;

    private NetBench()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        String transportName = "tcp";
        int rank = -1;
        int np = -1;
        String endpoints = null;
        String sizes = "4KiB,64KiB,1MiB,16MiB";
        double budget = 2.0;
        long jobId = 0x5EED;
        String wait = "none";
        int window = 0;
        String jobDir = null;
        int socketBuffer = 0;
        String envLabel = "env";
        for (int i = 0; i < args.length; i++)
        {
            final String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--transport": transportName = value; i++; break;
                case "--rank": rank = Integer.parseInt(value); i++; break;
                case "--np": np = Integer.parseInt(value); i++; break;
                case "--endpoints": endpoints = value; i++; break;
                case "--sizes": sizes = value; i++; break;
                case "--budget": budget = Double.parseDouble(value); i++; break;
                case "--job-id": jobId = Long.parseLong(value); i++; break;
                case "--wait": wait = value; i++; break;
                case "--window": window = Integer.parseInt(value); i++; break;
                case "--job-dir": jobDir = value; i++; break;
                case "--socket-buffer": socketBuffer = Integer.parseInt(value); i++; break;
                case "--label": envLabel = value; i++; break;
                default: throw new IllegalArgumentException("unknown argument " + args[i] + "; see the class javadoc");
            }
        }
        if ("env".equals(transportName))
        {
            try (Communicator comm = Communicator.fromEnvironment())
            {
                run(comm, sizes, budget, envLabel, comm.toString());
            }
            return;
        }
        if (rank < 0 || np < 1 || null == endpoints)
        {
            throw new IllegalArgumentException("--rank, --np and --endpoints are required");
        }
        final String[] hosts = endpoints.split(",");
        final Context ctx = Context.fromEnvironment(System.getenv()).timeoutNs(TimeUnit.SECONDS.toNanos(60));
        Transport transport;
        String label = transportName;
        switch (transportName)
        {
            case "tcp":
                // RINGSYNC_JOB_SECRET set: every frame carries a tag (the frame MAC's cost, label tcp-mac), unless
                // RINGSYNC_TLS=1 (label tcp-tls: TLS 1.3 on every connection instead)
                final String secret = System.getenv("RINGSYNC_JOB_SECRET");
                final TcpTransport tcp = TcpTransport.connect(new TcpTransport.Context()
                    .rank(rank).worldSize(np).jobId(jobId).endpoints(hosts).windowLength(window)
                    .socketSendBufferLength(socketBuffer).socketReceiveBufferLength(socketBuffer)
                    .connectTimeoutNs(TimeUnit.SECONDS.toNanos(60))
                    .jobSecret(null == secret || secret.isEmpty() ? null : secret.getBytes(StandardCharsets.UTF_8))
                    .frameTags(!"off".equals(ctx.frameMac()))
                    .tls(ctx.tls()));
                transport = tcp;
                if (tcp.context().tls())
                {
                    label = "tcp-tls";
                }
                else if (tcp.context().tagsFrames())
                {
                    label = "tcp-mac";
                }
                if ("epoll".equals(wait))
                {
                    transport = new WaitingTransport(tcp, tcp.capability(InboundWaiter.class));
                    label += "-epoll";
                }
                break;
            case "udp":
                final File dir = new File(null != jobDir ? jobDir : "/dev/shm/ringsync-netbench-" + jobId);
                transport = AeronTransport.connect(new AeronTransport.Context()
                    .rank(rank).worldSize(np).jobId(jobId).media(AeronMedia.UDP).udpEndpoints(hosts)
                    .jobDirectory(dir).driverTimeoutMs(60_000));
                break;
            default:
                throw new IllegalArgumentException("--transport " + transportName + ": tcp or udp");
        }

        try (Communicator comm = Communicator.connect(transport, ctx))
        {
            run(comm, sizes, budget, label, transport.toString());
        }
    }

    private static void run(
        final Communicator comm, final String sizes, final double budget, final String label, final String what)
    {
        if (0 == comm.rank())
        {
            System.out.println(HEADER);
            System.err.println("NetBench: " + what + ", chunk " + comm.chunkBytes() + " bytes");
        }
        long largest = 4;
        for (final String size : sizes.split(","))
        {
            largest = Math.max(largest, parseSize(size.trim()));
        }
        final float[] primer = new float[(int)(Math.min(largest, Priming.MAX_BYTES) / 4)];
        Priming.prime(comm, largest, 4, count -> comm.allReduce(primer, 0, count, ReduceOp.SUM));
        for (final String size : sizes.split(","))
        {
            final long bytes = parseSize(size.trim());
            final String row = measure(comm, (int)(bytes / 4), budget, label);
            if (0 == comm.rank())
            {
                System.out.println(row);
                System.out.flush();
            }
        }
    }

    private static String measure(final Communicator comm, final int count, final double budget, final String label)
    {
        final int n = comm.size();
        final float[] vector = new float[count];
        Arrays.fill(vector, comm.rank() + 1);
        comm.allReduce(vector, ReduceOp.SUM);
        final float expected = n * (n + 1) / 2f;
        for (int i = 0; i < count; i++)
        {
            if (vector[i] != expected)
            {
                throw new IllegalStateException("rank " + comm.rank() + ": wrong sum at element " + i + ": " +
                    vector[i] + ", expected " + expected);
            }
        }
        Arrays.fill(vector, 0f);

        final long bytes = 4L * count;
        // the sweep's warm-up count, cut short once it has taken half the budget: on oversubscribed simulated hosts a
        // call can take milliseconds and the full count minutes. Ranks agree to stop after each block of calls (the
        // slowest rank's elapsed time decides), so every rank makes the same number of calls.
        final int warmupLimit = SweepWorker.defaultWarmup(bytes);
        final long warmupBudgetNs = (long)(budget * 0.5e9);
        final double[] elapsed = new double[1];
        final long warmupStart = System.nanoTime();
        int warmup = 0;
        while (warmup < warmupLimit)
        {
            final int blockEnd = Math.min(warmupLimit, warmup + WARMUP_BLOCK);
            for (; warmup < blockEnd; warmup++)
            {
                comm.allReduce(vector, ReduceOp.SUM);
            }
            elapsed[0] = System.nanoTime() - warmupStart;
            comm.allReduce(elapsed, ReduceOp.MAX);
            if (elapsed[0] > warmupBudgetNs)
            {
                break;
            }
        }
        // the estimate: the last block, warm by now
        final int lastBlock = Math.min(WARMUP_BLOCK, warmup);
        long warmNs = 0;
        for (int i = 0; i < lastBlock; i++)
        {
            final long start = System.nanoTime();
            comm.allReduce(vector, ReduceOp.SUM);
            warmNs += System.nanoTime() - start;
        }
        final double[] agreed = { (double)warmNs / Math.max(1, lastBlock) };
        comm.allReduce(agreed, ReduceOp.MAX);
        final int iters = (int)Math.max(SweepWorker.MIN_ITERS,
            Math.min(SweepWorker.MAX_ITERS, Math.round(budget * 1e9 / Math.max(1.0, agreed[0]))));

        final double[] times = new double[iters];
        final long cpuBefore = processCpuNs();
        for (int i = 0; i < iters; i++)
        {
            final long start = System.nanoTime();
            comm.allReduce(vector, ReduceOp.SUM);
            times[i] = System.nanoTime() - start;
        }
        // the CPU time every thread of every rank spent on the timed calls, per call: on a machine shared with other
        // work this shows what a call costs when wall times only show what the scheduler gave
        final double[] cpu = { processCpuNs() - cpuBefore };
        comm.allReduce(times, ReduceOp.MAX);
        comm.allReduce(cpu, ReduceOp.SUM);
        Arrays.sort(times);
        double sum = 0;
        for (final double t : times)
        {
            sum += t;
        }
        final double meanNs = sum / iters;
        final double algbw = meanNs > 0 ? bytes / meanNs : 0;
        return String.format(Locale.ROOT, "%d,float32,%d,%s,%s,%d,%.3f,%.3f,%.3f,%.6f,%.6f,%.1f",
            bytes, n, label, SweepWorker.algorithm(comm, bytes), iters, nearestRank(times, 50) / 1e3,
            nearestRank(times, 99) / 1e3, meanNs / 1e3, algbw, algbw * 2.0 * (n - 1) / n, cpu[0] / iters / 1e3);
    }

    /** CPU time of this process, every thread, user and system; -1 where the JVM cannot tell. */
    private static long processCpuNs()
    {
        final java.lang.management.OperatingSystemMXBean os =
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean ?
            ((com.sun.management.OperatingSystemMXBean)os).getProcessCpuTime() : -1;
    }

    private static double nearestRank(final double[] sorted, final double percentile)
    {
        final int index = (int)Math.ceil(percentile / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    static long parseSize(final String text)
    {
        final String lower = text.toLowerCase(Locale.ROOT);
        final String[][] suffixes = { { "kib", "10" }, { "mib", "20" }, { "gib", "30" }, { "k", "10" }, { "m", "20" } };
        for (final String[] suffix : suffixes)
        {
            if (lower.endsWith(suffix[0]))
            {
                return Long.parseLong(lower.substring(0, lower.length() - suffix[0].length()).trim()) <<
                    Integer.parseInt(suffix[1]);
            }
        }
        return Long.parseLong(lower.endsWith("b") ? lower.substring(0, lower.length() - 1) : lower);
    }

    /**
     * A stand-in for an idle strategy that ends in an epoll wait: counts the progress its links make (messages
     * polled, messages committed) and, after {@code EPOLL_AFTER_IDLE_ROUNDS} calls of {@link #doWork()} in a row
     * without any, blocks in the transport's {@link InboundWaiter}. The communicator calls {@code doWork()} once per
     * round of its wait loop, so this sits where the idle strategy's park would.
     */
    static final class WaitingTransport extends ForwardingTransport
    {
        private final InboundWaiter waiter;
        private final OutboundLink[] outbound;
        private final InboundLink[] inbound;
        private final long waitNs = TimeUnit.MICROSECONDS.toNanos(EPOLL_WAIT_US);
        private long progress;
        private int idleRounds;

        WaitingTransport(final Transport delegate, final InboundWaiter waiter)
        {
            super(delegate);
            this.waiter = waiter;
            this.outbound = new OutboundLink[delegate.worldSize()];
            this.inbound = new InboundLink[delegate.worldSize()];
            for (int peer = 0; peer < delegate.worldSize(); peer++)
            {
                if (peer != delegate.rank())
                {
                    outbound[peer] = new CountingOutbound(delegate.outbound(peer));
                    inbound[peer] = new CountingInbound(delegate.inbound(peer));
                }
            }
        }

        public OutboundLink outbound(final int peer)
        {
            return outbound[peer];
        }

        public InboundLink inbound(final int peer)
        {
            return inbound[peer];
        }

        public int doWork()
        {
            final int work = delegate.doWork();
            if (work > 0 || progress > 0)
            {
                progress = 0;
                idleRounds = 0;
                return work;
            }
            if (++idleRounds > EPOLL_AFTER_IDLE_ROUNDS)
            {
                waiter.awaitInbound(waitNs);
            }
            return 0;
        }

        private final class CountingOutbound extends ForwardingOutboundLink
        {
            CountingOutbound(final OutboundLink link)
            {
                super(link);
            }

            public void commit()
            {
                progress++;
                delegate.commit();
            }
        }

        private final class CountingInbound extends ForwardingInboundLink
        {
            CountingInbound(final InboundLink link)
            {
                super(link);
            }

            public int poll(final MessageHandler handler, final int limit)
            {
                final int count = delegate.poll(handler, limit);
                progress += count;
                return count;
            }
        }
    }
}

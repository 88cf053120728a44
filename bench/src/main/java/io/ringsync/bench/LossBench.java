package io.ringsync.bench;

import io.aeron.driver.MediaDriver;
import io.aeron.driver.ext.DebugSendChannelEndpoint;
import io.aeron.driver.ext.RandomLossGenerator;
import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.Context;
import io.ringsync.collectives.ReduceOp;
import io.ringsync.transport.aeron.AeronMedia;
import io.ringsync.transport.aeron.AeronTransport;
import io.ringsync.transport.aeron.UdpPorts;
import org.agrona.IoUtil;

import java.io.File;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * AllReduce over Aeron UDP on loopback with simulated loss: two ranks as threads of this JVM, each with its embedded
 * driver, whose sending endpoints drop outgoing data frames and incoming status messages and NAKs at random with
 * the given rates ({@code --control-loss} defaults to {@code --loss}; Aeron's {@link DebugSendChannelEndpoint} and
 * {@link RandomLossGenerator}), so both directions of every link lose. Times float32 SUM calls (the slower rank's
 * time per call) and prints one CSV row per size: {@code loss,label,bytes,iters,p50_us,p90_us,p99_us,max_us}.
 * Driver settings to try come as arguments; unset ones keep ringsync's defaults.
 * <pre>
 * LossBench [--loss 0.05] [--control-loss 0.05] [--sizes 4KiB,1MiB] [--iters 400] [--warmup 3000] [--label name]
 *           [--nak-delay-ns N] [--nak-retry-ratio N] [--retransmit-delay-ns N] [--retransmit-linger-ns N]
 *           [--sm-timeout-ns N] [--mtu 65504]
 * </pre>
 */
public final class LossBench
{
    static final String HEADER = "loss,label,bytes,iters,p50_us,p90_us,p99_us,max_us";

    private LossBench()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final HashMap<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2)
        {
            if (!args[i].startsWith("--"))
            {
                throw new IllegalArgumentException("unexpected " + args[i] + "; see the class javadoc");
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        final double loss = Double.parseDouble(options.getOrDefault("loss", "0"));
        final String label = options.getOrDefault("label", "default");
        final int iters = Integer.parseInt(options.getOrDefault("iters", "400"));
        // untimed calls first, per size: C2 compiles the call path after some 10,000 calls of all sizes together,
        // and until then its compiler threads take the 2 ranks' cores now and then (the sweep primes likewise)
        final int warmup = Integer.parseInt(options.getOrDefault("warmup", "3000"));
        final int mtu = Integer.parseInt(options.getOrDefault("mtu", "65504"));
        final String[] sizes = options.getOrDefault("sizes", "4KiB,1MiB").split(",");
        final Consumer<MediaDriver.Context> driverSettings = driverSettings(options, loss);

        final String[] endpoints = UdpPorts.loopbackEndpoints(2);
        final long jobId = System.nanoTime() >>> 1;
        final File dir = new File("/dev/shm/ringsync-lossbench-" + Long.toHexString(jobId));
        final ExecutorService pool = Executors.newFixedThreadPool(2);
        try
        {
            final Future<String>[] rows = new Future[2];
            for (int rank = 0; rank < 2; rank++)
            {
                final int r = rank;
                rows[rank] = pool.submit(() -> runRank(r, endpoints, jobId, dir, mtu, driverSettings, sizes, warmup,
                    iters, loss, label));
            }
            final String table = rows[0].get(10, TimeUnit.MINUTES);
            rows[1].get(1, TimeUnit.MINUTES);
            System.out.println(HEADER);
            System.out.print(table);
        }
        finally
        {
            pool.shutdownNow();
            IoUtil.delete(dir, true);
        }
    }

    private static Consumer<MediaDriver.Context> driverSettings(
        final HashMap<String, String> options, final double loss)
    {
        return (driverCtx) ->
        {
            if (options.containsKey("nak-delay-ns"))
            {
                driverCtx.nakUnicastDelayNs(Long.parseLong(options.get("nak-delay-ns")));
            }
            if (options.containsKey("nak-retry-ratio"))
            {
                driverCtx.nakUnicastRetryDelayRatio(Long.parseLong(options.get("nak-retry-ratio")));
            }
            if (options.containsKey("retransmit-delay-ns"))
            {
                driverCtx.retransmitUnicastDelayNs(Long.parseLong(options.get("retransmit-delay-ns")));
            }
            if (options.containsKey("sm-timeout-ns"))
            {
                driverCtx.statusMessageTimeoutNs(Long.parseLong(options.get("sm-timeout-ns")));
            }
            if (options.containsKey("retransmit-linger-ns"))
            {
                driverCtx.retransmitUnicastLingerNs(Long.parseLong(options.get("retransmit-linger-ns")));
            }
            final double controlLoss = Double.parseDouble(options.getOrDefault("control-loss", Double.toString(loss)));
            if (loss > 0 || controlLoss > 0)
            {
                driverCtx.sendChannelEndpointSupplier((udpChannel, statusIndicator, context) ->
                    new DebugSendChannelEndpoint(udpChannel, statusIndicator, context,
                        new RandomLossGenerator(loss), new RandomLossGenerator(controlLoss)));
            }
        };
    }

    private static String runRank(
        final int rank,
        final String[] endpoints,
        final long jobId,
        final File dir,
        final int mtu,
        final Consumer<MediaDriver.Context> driverSettings,
        final String[] sizes,
        final int warmup,
        final int iters,
        final double loss,
        final String label)
    {
        final AeronTransport transport = AeronTransport.connect(new AeronTransport.Context()
            .rank(rank).worldSize(2).jobId(jobId).media(AeronMedia.UDP).udpEndpoints(endpoints).mtuLength(mtu)
            .jobDirectory(dir).driverTimeoutMs(60_000).embeddedDriverCustomizer(driverSettings));
        final Context ctx = Context.fromEnvironment(new HashMap<>()).timeoutNs(TimeUnit.SECONDS.toNanos(60));
        final StringBuilder table = new StringBuilder();
        try (Communicator comm = Communicator.connect(transport, ctx))
        {
            for (final String size : sizes)
            {
                final int count = (int)(NetBench.parseSize(size.trim()) / 4);
                table.append(measure(comm, count, warmup, iters, loss, label)).append('\n');
            }
        }
        return table.toString();
    }

    private static String measure(
        final Communicator comm, final int count, final int warmup, final int iters, final double loss,
        final String label)
    {
        final float[] vector = new float[count];
        final double[] times = new double[iters];
        for (int i = -warmup; i < iters; i++)
        {
            Arrays.fill(vector, comm.rank() + 1);
            final long start = System.nanoTime();
            comm.allReduce(vector, ReduceOp.SUM);
            final long ns = System.nanoTime() - start;
            if (vector[0] != 3f || vector[count - 1] != 3f)
            {
                throw new IllegalStateException("rank " + comm.rank() + ": wrong sum " + vector[0]);
            }
            if (i >= 0)
            {
                times[i] = ns;
            }
        }
        comm.allReduce(times, ReduceOp.MAX);
        Arrays.sort(times);
        return String.format(Locale.ROOT, "%.2f,%s,%d,%d,%.1f,%.1f,%.1f,%.1f", loss, label, 4L * count, iters,
            percentile(times, 50) / 1e3, percentile(times, 90) / 1e3, percentile(times, 99) / 1e3,
            times[iters - 1] / 1e3);
    }

    private static double percentile(final double[] sorted, final double percentile)
    {
        final int index = (int)Math.ceil(percentile / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}

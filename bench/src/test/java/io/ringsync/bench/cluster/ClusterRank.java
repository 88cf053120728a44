package io.ringsync.bench.cluster;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.Context;
import io.ringsync.collectives.DataType;
import io.ringsync.collectives.ReduceOp;
import io.ringsync.collectives.RingsyncException;
import io.ringsync.transport.Transport;
import io.ringsync.transport.aeron.AeronMedia;
import io.ringsync.transport.aeron.AeronTransport;
import io.ringsync.transport.tcp.TcpTransport;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * One rank on a simulated host, started by {@link SimulatedCluster} through {@code bench/cluster/rsh}. It joins with
 * explicit endpoints (as {@code NetBench} does) and prints what it saw, one fact a line, for the test to judge:
 * <pre>
 * ClusterRank check|fail TRANSPORT RANK NP ENDPOINTS JOB_ID SEED TIMEOUT_MS
 *
 * HOST name                       the host name this rank sees (its UTS namespace)
 * SHM r,r,...                     the ranks whose marker file this rank sees in its /dev/shm
 * PATH label                      the path a 1 MiB float32 AllReduce takes (host-aware, ring, ...)
 * CALL i type op count crc ok     one AllReduce: the CRC32 of the result's bits, and "ok" or "BAD what" against the
 *                                 exact result (inputs whose sums are exact in any order) or a double reference
 * DONE
 * READY                           fail mode: 20 calls done, now calling until something fails
 * FAILED class suspect ms text    fail mode: the exception, the rank it blames, ms since the last call returned
 * </pre>
 * TRANSPORT is {@code tcp} (TcpTransport), {@code udp} (AeronTransport over UDP, its driver embedded, its directory
 * on this host's /dev/shm) or {@code env} ({@link Communicator#fromEnvironment()}: the variant the launching test puts
 * in the environment). Exit status 0 when every check passed, 1 on a wrong result, 3 after FAILED.
 */
public final class ClusterRank
{
    /** Element counts of the check: empty, one, n-1, n+1, odd, a few chunks, 1 MiB + 3 elements. */
    static int[] counts(final int np)
    {
        return new int[]{ 0, 1, np - 1, np + 1, 4097, 99_991, (1 << 20) / Float.BYTES + 3 };
    }

    static final ReduceOp[] OPS = { ReduceOp.SUM, ReduceOp.MIN, ReduceOp.MAX, ReduceOp.AVG };

    private ClusterRank()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final String mode = args[0];
        final String transportName = args[1];
        final int rank = Integer.parseInt(args[2]);
        final int np = Integer.parseInt(args[3]);
        final String[] endpoints = args[4].split(",");
        final long jobId = Long.parseLong(args[5]);
        final long seed = Long.parseLong(args[6]);
        final long timeoutMs = Long.parseLong(args[7]);
        final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        out.println("HOST " + Files.readString(Path.of("/proc/sys/kernel/hostname")).trim());

        final Communicator comm = connect(transportName, rank, np, endpoints, jobId, timeoutMs);
        int status = 0;
        try
        {
            status = "fail".equals(mode) ? untilFailure(comm, out) : check(comm, np, jobId, seed, out);
        }
        finally
        {
            if (3 != status)
            {
                comm.close();
            }
        }
        out.flush();
        // after a failure the communicator is not closed politely: the process ends, as a crashed trainer's would
        Runtime.getRuntime().halt(status);
    }

    private static Communicator connect(
        final String transportName, final int rank, final int np, final String[] endpoints, final long jobId,
        final long timeoutMs)
    {
        if ("env".equals(transportName))
        {
            return Communicator.fromEnvironment();
        }
        final Context ctx = Context.fromEnvironment(System.getenv()).timeoutNs(TimeUnit.MILLISECONDS.toNanos(timeoutMs));
        final Transport transport;
        switch (transportName)
        {
            case "tcp":
                transport = TcpTransport.connect(new TcpTransport.Context()
                    .rank(rank).worldSize(np).jobId(jobId).endpoints(endpoints)
                    .connectTimeoutNs(TimeUnit.SECONDS.toNanos(30)));
                break;
            case "udp":
                transport = AeronTransport.connect(new AeronTransport.Context()
                    .rank(rank).worldSize(np).jobId(jobId).media(AeronMedia.UDP).udpEndpoints(endpoints)
                    .jobDirectory(new File("/dev/shm/ringsync-cluster-" + jobId + "-" + rank))
                    .driverTimeoutMs(30_000));
                break;
            default:
                throw new IllegalArgumentException("transport " + transportName + ": tcp, udp or env");
        }
        return Communicator.connect(transport, ctx);
    }

    private static int check(
        final Communicator comm, final int np, final long jobId, final long seed, final PrintStream out)
        throws IOException
    {
        // the fixture's promise: ranks of one host share /dev/shm, ranks of different hosts do not
        final Path marker = Path.of("/dev/shm", "ringsync-cluster-" + jobId + "-marker-" + comm.rank());
        Files.writeString(marker, Integer.toString(comm.rank()));
        comm.barrier();
        final TreeSet<Integer> seen = new TreeSet<>();
        for (int r = 0; r < np; r++)
        {
            if (Files.exists(Path.of("/dev/shm", "ringsync-cluster-" + jobId + "-marker-" + r)))
            {
                seen.add(r);
            }
        }
        comm.barrier();
        Files.delete(marker);
        out.println("SHM " + String.join(",", seen.stream().map(String::valueOf).toArray(String[]::new)));
        out.println("PATH " + comm.allReducePath((1 << 20) / Float.BYTES, DataType.FLOAT32).label());

        int status = 0;
        int call = 0;
        for (final int count : counts(np))
        {
            for (final boolean isDouble : new boolean[]{ false, true })
            {
                for (final ReduceOp op : OPS)
                {
                    // Gaussian inputs only where rounding shows (SUM, AVG): MIN and MAX are exact either way
                    final boolean[] kinds = op == ReduceOp.MIN || op == ReduceOp.MAX ?
                        new boolean[]{ true } : new boolean[]{ true, false };
                    for (final boolean exact : kinds)
                    {
                        final String verdict;
                        final long crc;
                        if (isDouble)
                        {
                            final double[] vector = doubles(exact, seed, comm.rank(), count, call);
                            comm.allReduce(vector, op);
                            crc = crc(vector);
                            verdict = judge(vector, exact, seed, np, count, call, op);
                        }
                        else
                        {
                            final float[] vector = floats(exact, seed, comm.rank(), count, call);
                            comm.allReduce(vector, op);
                            crc = crc(vector);
                            verdict = judge(vector, exact, seed, np, count, call, op);
                        }
                        if (!"ok".equals(verdict))
                        {
                            status = 1;
                        }
                        out.printf(Locale.ROOT, "CALL %d %s %s %d %s %08x %s%n", call, isDouble ? "float64" : "float32",
                            op, count, exact ? "exact" : "random", crc, verdict);
                        call++;
                    }
                }
            }
        }
        out.println("DONE");
        return status;
    }

    private static int untilFailure(final Communicator comm, final PrintStream out)
    {
        final float[] vector = new float[16_384];
        long lastReturnNs = System.nanoTime();
        for (long call = 0; ; call++)
        {
            try
            {
                java.util.Arrays.fill(vector, 1f);
                comm.allReduce(vector, ReduceOp.SUM);
                lastReturnNs = System.nanoTime();
            }
            catch (final RingsyncException ex)
            {
                final String text = String.valueOf(ex.getMessage()).replace('\n', ' ');
                out.printf(Locale.ROOT, "FAILED %s %d %d %s%n", ex.getClass().getSimpleName(), ex.suspectRank(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastReturnNs), text);
                return 3;
            }
            if (vector[0] != comm.size())
            {
                out.println("BAD sum " + vector[0]);
                return 1;
            }
            if (20 == call)
            {
                out.println("READY");
            }
            if (call > 20)
            {
                // a training step's pace, so the cut falls between calls as well as inside them
                sleepMs(2);
            }
        }
    }

    private static void sleepMs(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    // inputs: "exact" values are multiples of 1/8 in [-8, 8], so every sum of up to 2^20 of them is exact in float32
    // and float64 in any order, and AVG over 2^k ranks too; "random" values are Gaussian, where only the ranks'
    // agreement (the CRC) and closeness to a double reference can be checked (on every 61st element: the reference
    // needs every rank's input, and one element of it costs as much as a whole vector of one rank)

    static float[] floats(final boolean exact, final long seed, final int rank, final int count, final int call)
    {
        final float[] v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)input(exact, seed, rank, call, i);
        }
        return v;
    }

    static double[] doubles(final boolean exact, final long seed, final int rank, final int count, final int call)
    {
        final double[] v = new double[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = input(exact, seed, rank, call, i);
        }
        return v;
    }

    /** Element i of a rank's input: a function of its coordinates alone, so any element can be recomputed. */
    static double input(final boolean exact, final long seed, final int rank, final int call, final int i)
    {
        final long h = mix(seed + rank * 0x9E3779B97F4A7C15L + call * 0xC2B2AE3D27D4EB4FL + i * 0x165667B19E3779F9L);
        if (exact)
        {
            return (Math.floorMod(h, 129) - 64) / 8.0;
        }
        final double u = ((h >>> 11) + 1) * 0x1.0p-53;
        final double w = (mix(h) >>> 11) * 0x1.0p-53;
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
    }

    private static long mix(final long x)
    {
        long z = x;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static String judge(
        final float[] actual, final boolean exact, final long seed, final int np, final int count, final int call,
        final ReduceOp op)
    {
        for (int i = 0; i < count; i += exact ? 1 : 61)
        {
            double sum = 0;
            double abs = 0;
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            for (int r = 0; r < np; r++)
            {
                final float x = (float)input(exact, seed, r, call, i);
                sum += x;
                abs += Math.abs(x);
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
            final double expected;
            switch (op)
            {
                case MIN: expected = min; break;
                case MAX: expected = max; break;
                case AVG: expected = exact ? (float)sum / np : sum / np; break;
                default: expected = sum;
            }
            final boolean good = exact || op == ReduceOp.MIN || op == ReduceOp.MAX ?
                Float.floatToRawIntBits(actual[i]) == Float.floatToRawIntBits((float)expected) :
                Math.abs(actual[i] - expected) <= 1e-5 * abs + 1e-6;
            if (!good)
            {
                return "BAD element " + i + " is " + actual[i] + ", expected " + (float)expected;
            }
        }
        return "ok";
    }

    private static String judge(
        final double[] actual, final boolean exact, final long seed, final int np, final int count, final int call,
        final ReduceOp op)
    {
        for (int i = 0; i < count; i += exact ? 1 : 61)
        {
            double sum = 0;
            double abs = 0;
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (int r = 0; r < np; r++)
            {
                final double x = input(exact, seed, r, call, i);
                sum += x;
                abs += Math.abs(x);
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
            final double expected = op == ReduceOp.MIN ? min : op == ReduceOp.MAX ? max :
                op == ReduceOp.AVG ? sum / np : sum;
            final boolean good = exact || op == ReduceOp.MIN || op == ReduceOp.MAX ?
                Double.doubleToRawLongBits(actual[i]) == Double.doubleToRawLongBits(expected) :
                Math.abs(actual[i] - expected) <= 1e-12 * abs + 1e-15;
            if (!good)
            {
                return "BAD element " + i + " is " + actual[i] + ", expected " + expected;
            }
        }
        return "ok";
    }

    private static long crc(final float[] v)
    {
        final ByteBuffer bytes = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(v);
        final CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    private static long crc(final double[] v)
    {
        final ByteBuffer bytes = ByteBuffer.allocate(v.length * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asDoubleBuffer().put(v);
        final CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }
}

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The ring of ../2026-12-07-tcp-ring-floor/ring.c in Java, with nothing but JDK NIO: can the JVM move a 1 MiB
 * float32 SUM between simulated hosts as fast as the C program does? One process per network namespace, a ring,
 * one connection each way per neighbour, non-blocking channels, TCP_NODELAY, Thread.yield when a pass moved
 * nothing. Every byte goes from the vector (a direct buffer) to the socket and from the socket straight into its
 * place: the vector in the allgather, a scratch in the reduce-scatter. BLOCK is the pipeline grain: a received block
 * is reduced (or taken) once whole and then forwarded; BLOCK = a whole segment is a whole step per message. With
 * RING_AGREE=1 the ring goes step by step instead, neighbours swapping a 64-byte header before each step's segment
 * (as Open MPI's rendezvous does), reading the whole segment before reducing it (BLOCK is then ignored); with
 * RING_STAGE=1 as well, each step's segment is first copied into a send buffer and written from there, as a path
 * that writes messages from a send ring would; RING_PIECES=P writes each step as P pieces (no write crosses a
 * piece's end); RING_CREDITS=1 has each receiver write 8 bytes back on the connection after each step, which the
 * sender drains before its next one, as the library's credits do; RING_PEEK=1 reads what of the neighbour's step
 * has arrived right after the headers, before writing this rank's.
 *
 *   java --add-modules jdk.incubator.vector JavaRing.java RANK N BASE_PORT HOST_PREFIX COUNT CALLS BLOCK|seg
 *
 * Rank r listens on BASE_PORT + r at HOST_PREFIX(r + 1). The first CALLS / 4 calls warm the JIT and are not timed.
 * Every rank checks every element of every call's result. Rank 0 prints: n,count,block,p50_us,mean_us,
 * writes_per_call,reads_per_call,yields_per_call,reduce_us_per_call (the time in the additions, warm-up included)
 */
public final class JavaRing
{
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    public static void main(final String[] args) throws Exception
    {
        if (args.length < 7)
        {
            System.err.println("usage: JavaRing RANK N BASE_PORT HOST_PREFIX COUNT CALLS BLOCK|seg");
            System.exit(2);
        }
        final int rank = Integer.parseInt(args[0]);
        final int n = Integer.parseInt(args[1]);
        final int basePort = Integer.parseInt(args[2]);
        final String prefix = args[3];
        final int count = Integer.parseInt(args[4]);
        final int calls = Integer.parseInt(args[5]);
        final int seg = count / n * 4;
        final int block = "seg".equals(args[6]) ? seg : Math.min(seg, Integer.parseInt(args[6]));
        if (count % n != 0 || seg % block != 0 || block % 4 != 0)
        {
            throw new IllegalArgumentException("COUNT must split into N segments of whole BLOCKs of floats");
        }

        final int next = (rank + 1) % n;
        final SocketChannel out;
        final SocketChannel in;
        try (ServerSocketChannel listener = ServerSocketChannel.open())
        {
            listener.bind(new InetSocketAddress(basePort + rank));
            out = dial(prefix + (next + 1), basePort + next);
            in = listener.accept();
        }
        for (final SocketChannel channel : new SocketChannel[]{ out, in })
        {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.configureBlocking(false);
        }

        final ByteBuffer vector = ByteBuffer.allocateDirect(count * 4).order(ByteOrder.nativeOrder());
        final ByteBuffer scratch = ByteBuffer.allocateDirect(seg * (n - 1)).order(ByteOrder.nativeOrder());
        final int warmup = calls / 4;
        final long[] took = new long[calls - warmup];
        final Ring ring = new Ring(rank, n, seg, block, out, in, vector, scratch);
        final boolean agreed = "1".equals(System.getenv("RING_AGREE"));
        for (int call = 0; call < calls; call++)
        {
            fill(vector, count, rank);
            final long start = System.nanoTime();
            if (agreed)
            {
                ring.agreedSteps();
            }
            else
            {
                ring.pipelined();
            }
            final long ns = System.nanoTime() - start;
            check(vector, count, n, rank, call);
            if (call >= warmup)
            {
                took[call - warmup] = ns;
            }
        }
        out.close();
        in.close();
        if (rank == 0)
        {
            Arrays.sort(took);
            final double mean = Arrays.stream(took).average().orElse(0) / 1e3;
            final int timed = took.length;
            System.out.printf("%d,%d,%d,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f%n", n, count, block, took[timed / 2] / 1e3, mean,
                (double)ring.writes / calls, (double)ring.reads / calls, (double)ring.yields / calls,
                ring.reduceNs / 1e3 / calls);
        }
    }

    /** One rank's end of the ring: its connections, its vector and scratch, and what its calls cost. */
    private static final class Ring
    {
        private static final int HEADER = 64;
        private static final boolean CREDITS = "1".equals(System.getenv("RING_CREDITS"));
        private static final boolean PEEK = "1".equals(System.getenv("RING_PEEK"));

        private final int rank;
        private final int n;
        private final int seg;
        private final int block;
        private final SocketChannel out;
        private final SocketChannel in;
        private final ByteBuffer vector;
        private final ByteBuffer scratch;
        // one view each for writing and reading, repositioned per system call: nothing allocated per call
        private final ByteBuffer sendView;
        private final ByteBuffer vectorReadView;
        private final ByteBuffer scratchReadView;
        private final ByteBuffer headerOut = ByteBuffer.allocateDirect(HEADER);
        private final ByteBuffer headerIn = ByteBuffer.allocateDirect(HEADER);
        private final ByteBuffer staging;
        private final ByteBuffer creditOut = ByteBuffer.allocateDirect(8);
        private final ByteBuffer creditIn = ByteBuffer.allocateDirect(64);
        private final int pieceLength;
        private final long total;
        private final long blocks;
        private final int perSeg;
        long writes;
        long reads;
        long yields;
        long reduceNs;

        Ring(final int rank, final int n, final int seg, final int block, final SocketChannel out,
            final SocketChannel in, final ByteBuffer vector, final ByteBuffer scratch)
        {
            this.rank = rank;
            this.n = n;
            this.seg = seg;
            this.block = block;
            this.out = out;
            this.in = in;
            this.vector = vector;
            this.scratch = scratch;
            this.sendView = vector.duplicate();
            this.vectorReadView = vector.duplicate();
            this.scratchReadView = scratch.duplicate();
            this.total = 2L * (n - 1) * seg;
            this.blocks = total / block;
            this.perSeg = seg / block;
            this.staging = "1".equals(System.getenv("RING_STAGE")) ? ByteBuffer.allocateDirect(seg) : null;
            final String pieces = System.getenv("RING_PIECES");
            this.pieceLength = seg / (null == pieces ? 1 : Integer.parseInt(pieces));
        }

        /** Every byte moves as soon as it may: a received block is reduced and forwarded once whole. */
        void pipelined() throws IOException
        {
            long sent = 0;
            long received = 0;
            long ready = seg;
            long doneBlocks = 0;
            while (sent < total || received < total)
            {
                boolean moved = false;
                while (sent < ready)
                {
                    final long k = sent / seg;
                    final int at = (int)(sent % seg);
                    final long s = k < n - 1 ? Math.floorMod(rank - k, n) : Math.floorMod(rank + 1 - (k - (n - 1)), n);
                    final int len = (int)Math.min(ready - sent, seg - at);
                    final int from = (int)(s * seg + at);
                    sendView.limit(from + len).position(from);
                    final int w = out.write(sendView);
                    if (w > 0)
                    {
                        sent += w;
                        writes++;
                        moved = true;
                    }
                    else
                    {
                        break;
                    }
                }
                if (received < total)
                {
                    final long k = received / seg;
                    final int at = (int)(received % seg);
                    final ByteBuffer into;
                    if (k < n - 1)
                    {
                        final int from = (int)(k * seg + at);
                        into = scratchReadView.limit(from + seg - at).position(from);
                    }
                    else
                    {
                        final long s = Math.floorMod(rank - (k - (n - 1)), n);
                        final int from = (int)(s * seg + at);
                        into = vectorReadView.limit(from + seg - at).position(from);
                    }
                    final int r = in.read(into);
                    if (r > 0)
                    {
                        received += r;
                        reads++;
                        moved = true;
                    }
                    else if (r < 0)
                    {
                        throw new IOException("rank " + rank + ": the predecessor closed its connection");
                    }
                }
                while (doneBlocks < blocks && (doneBlocks + 1) * block <= received)
                {
                    final long k = doneBlocks / perSeg;
                    final int at = (int)(doneBlocks % perSeg) * block;
                    if (k < n - 1)
                    {
                        final long s = Math.floorMod(rank - k - 1, n);
                        final long reduceStart = System.nanoTime();
                        add(vector, (int)(s * seg + at), scratch, (int)(k * seg + at), block / 4);
                        reduceNs += System.nanoTime() - reduceStart;
                    }
                    doneBlocks++;
                    ready = Math.min((doneBlocks + perSeg) * block, total);
                }
                if (!moved)
                {
                    yields++;
                    Thread.yield();
                }
            }
        }

        /**
         * Step by step, Open MPI's way: the two neighbours swap a 64-byte header before each step (a rendezvous),
         * then the step's segment is written whole and read whole straight into place, then reduced.
         */
        void agreedSteps() throws IOException
        {
            for (int k = 0; k < 2 * (n - 1); k++)
            {
                if (CREDITS)
                {
                    creditIn.clear();
                    while (out.read(creditIn) > 0)
                    {
                        creditIn.clear();
                    }
                }
                headerOut.clear().putInt(0, k);
                headerIn.clear();
                while (headerOut.hasRemaining() || headerIn.hasRemaining())
                {
                    boolean moved = headerOut.hasRemaining() && out.write(headerOut) > 0;
                    if (headerIn.hasRemaining())
                    {
                        final int r = in.read(headerIn);
                        if (r < 0)
                        {
                            throw new IOException("rank " + rank + ": the predecessor closed its connection");
                        }
                        moved |= r > 0;
                    }
                    if (!moved)
                    {
                        yields++;
                        Thread.yield();
                    }
                }
                if (headerIn.getInt(0) != k)
                {
                    throw new IllegalStateException("rank " + rank + ": step " + headerIn.getInt(0) + ", not " + k);
                }
                final long sendSeg =
                    k < n - 1 ? Math.floorMod(rank - k, n) : Math.floorMod(rank + 1 - (k - (n - 1)), n);
                sendView.limit((int)(sendSeg * seg + seg)).position((int)(sendSeg * seg));
                if (null != staging)
                {
                    // as a message path would: the step's bytes copied into a send buffer, written from there
                    staging.clear().put(sendView).flip();
                    sendView.position((int)(sendSeg * seg));
                }
                final ByteBuffer from = null == staging ? sendView : staging;
                final int fromStart = from.position();
                final ByteBuffer into;
                if (k < n - 1)
                {
                    into = scratchReadView.limit(k * seg + seg).position(k * seg);
                }
                else
                {
                    final long s = Math.floorMod(rank - (k - (n - 1)), n);
                    into = vectorReadView.limit((int)(s * seg + seg)).position((int)(s * seg));
                }
                if (PEEK && into.hasRemaining())
                {
                    // RING_PEEK=1: read what of the neighbour's step is already there before writing, as a rank
                    // whose link reads all it holds when it looks for the token does
                    final int r = in.read(into);
                    if (r > 0)
                    {
                        reads++;
                    }
                }
                while (from.hasRemaining() || into.hasRemaining())
                {
                    boolean moved = false;
                    if (from.hasRemaining())
                    {
                        // RING_PIECES > 1: no write crosses the end of a piece (a message path commits by piece)
                        final int fromEnd = from.limit();
                        final int done = from.position() - fromStart;
                        from.limit(Math.min(fromEnd, fromStart + (done / pieceLength + 1) * pieceLength));
                        final int w = out.write(from);
                        from.limit(fromEnd);
                        if (w > 0)
                        {
                            writes++;
                            moved = true;
                        }
                    }
                    if (into.hasRemaining())
                    {
                        final int r = in.read(into);
                        if (r < 0)
                        {
                            throw new IOException("rank " + rank + ": the predecessor closed its connection");
                        }
                        if (r > 0)
                        {
                            reads++;
                            moved = true;
                        }
                    }
                    if (!moved)
                    {
                        yields++;
                        Thread.yield();
                    }
                }
                if (CREDITS)
                {
                    // RING_CREDITS=1: tell the sender what was consumed, on the connection it sends on, as the
                    // library's receiving links do; the sender reads it back before its next step
                    creditOut.clear().putLong(0, k);
                    while (creditOut.hasRemaining())
                    {
                        in.write(creditOut);
                    }
                }
                if (k < n - 1)
                {
                    final long reduceStart = System.nanoTime();
                    add(vector, (int)(Math.floorMod(rank - k - 1, n) * seg), scratch, k * seg, seg / 4);
                    reduceNs += System.nanoTime() - reduceStart;
                }
            }
        }
    }

    private static SocketChannel dial(final String host, final int port) throws Exception
    {
        final long deadline = System.nanoTime() + 30_000_000_000L;
        while (true)
        {
            try
            {
                return SocketChannel.open(new InetSocketAddress(host, port));
            }
            catch (final IOException refused)
            {
                if (System.nanoTime() > deadline)
                {
                    throw refused;
                }
                Thread.sleep(10);
            }
        }
    }

    /** into += from, with the Vector API (jdk.incubator.vector on JDK 17) as ringsync's own kernels do. */
    private static void add(final ByteBuffer into, final int intoAt, final ByteBuffer from, final int fromAt,
        final int floats)
    {
        final ByteOrder order = ByteOrder.nativeOrder();
        final int lanes = SPECIES.length();
        int i = 0;
        for (; i <= floats - lanes; i += lanes)
        {
            final int a = intoAt + 4 * i;
            FloatVector.fromByteBuffer(SPECIES, into, a, order)
                .add(FloatVector.fromByteBuffer(SPECIES, from, fromAt + 4 * i, order))
                .intoByteBuffer(into, a, order);
        }
        for (; i < floats; i++)
        {
            final int a = intoAt + 4 * i;
            into.putFloat(a, into.getFloat(a) + from.getFloat(fromAt + 4 * i));
        }
    }

    /** Element i of rank r is (r + 1) * (i % 7 + 1): small integers, so every sum is exact. */
    private static void fill(final ByteBuffer vector, final int count, final int rank)
    {
        for (int i = 0; i < count; i++)
        {
            vector.putFloat(4 * i, (rank + 1) * (i % 7 + 1));
        }
    }

    private static void check(final ByteBuffer vector, final int count, final int n, final int rank, final int call)
    {
        final float ranks = n * (n + 1) / 2.0f;
        for (int i = 0; i < count; i++)
        {
            final float want = ranks * (i % 7 + 1);
            if (vector.getFloat(4 * i) != want)
            {
                throw new IllegalStateException("rank " + rank + ", call " + call + ": element " + i + " is " +
                    vector.getFloat(4 * i) + ", not " + want);
            }
        }
    }
}

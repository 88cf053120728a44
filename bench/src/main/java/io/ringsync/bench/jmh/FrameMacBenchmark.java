package io.ringsync.bench.jmh;

import io.ringsync.transport.security.FrameAuthenticator;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The tag of one tcp frame with a job secret, as {@code TcpOutboundLink.commit} computes it: the frame (8-byte
 * header and payload) read in place from an off-heap ring through a {@link ByteBuffer} view, the tag written after
 * it. {@code frameBytes}: 4160 is the single frame of a 4 KiB allReduce (payload and chunk header), 32832 a default
 * 32 KiB chunk, which is what every frame of a 1 MiB or 16 MiB allReduce is; 1048640 a 1 MiB chunk
 * ({@code RINGSYNC_CHUNK_BYTES=1MiB}). Average time per frame; GB/s is {@code frameBytes / time}. With
 * {@code -prof gc}: HMAC_SHA256 must show 0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED" })
public class FrameMacBenchmark
{
    @Param({ "4160", "32832", "1048640" })
    public int frameBytes;

    @Param({ "HMAC_SHA256", "AES_GMAC" })
    public FrameAuthenticator.Algorithm algorithm;

    private FrameAuthenticator sender;
    private FrameAuthenticator receiver;
    private ByteBuffer view;
    private UnsafeBuffer ring;
    private long number;

    @Setup(Level.Trial)
    public void setUp()
    {
        final ByteBuffer memory = BufferUtil.allocateDirectAligned(frameBytes + FrameAuthenticator.TAG_LENGTH, 4096);
        ring = new UnsafeBuffer(memory);
        for (int i = 0; i < frameBytes; i++)
        {
            ring.putByte(i, (byte)(i * 31));
        }
        view = memory.duplicate();
        final byte[] secret = "benchmark secret".getBytes();
        final byte[] session = new byte[16];
        final byte[] nonce = new byte[FrameAuthenticator.NONCE_LENGTH];
        sender = FrameAuthenticator.forLink(algorithm, secret, session, 1, 0, 0, 1, nonce);
        receiver = FrameAuthenticator.forLink(algorithm, secret, session, 1, 0, 0, 1, nonce);
    }

    /**
     * The sender's cost per frame.
     *
     * @return the frame number, so nothing is dead code.
     */
    @Benchmark
    public long sign()
    {
        final long n = number++;
        view.limit(frameBytes).position(0);
        sender.sign(n, n * frameBytes, view, ring, frameBytes);
        return n;
    }

    /**
     * Sender and receiver together, as a link pays it: sign, then check the tag.
     *
     * @return whether the tag held (always).
     */
    @Benchmark
    public boolean signAndVerify()
    {
        final long n = number++;
        view.limit(frameBytes).position(0);
        sender.sign(n, n * frameBytes, view, ring, frameBytes);
        view.limit(frameBytes).position(0);
        final boolean valid = receiver.verify(n, n * frameBytes, view, ring, frameBytes);
        if (!valid)
        {
            throw new IllegalStateException("tag of frame " + n + " did not verify");
        }
        return valid;
    }
}

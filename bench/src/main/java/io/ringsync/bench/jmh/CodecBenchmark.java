package io.ringsync.bench.jmh;

import io.ringsync.codecs.ChunkDecoder;
import io.ringsync.codecs.ChunkEncoder;
import io.ringsync.codecs.Collective;
import io.ringsync.codecs.ElementType;
import io.ringsync.codecs.MessageHeaderDecoder;
import io.ringsync.codecs.MessageHeaderEncoder;
import io.ringsync.codecs.Reduction;
import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;
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

import java.util.concurrent.TimeUnit;

/**
 * The SBE chunk codec as the ring uses it on every message: the header written in place into an off-heap buffer
 * (as into an Aeron claim or a shm slot) and read back, alone ({@code payloadBytes = 0}) and with a payload copied
 * in from a {@code float[]} and out into one, as an allgather piece is (32 KiB is the default chunk). Average
 * time per message; with {@code -prof gc} it must show 0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED" })
public class CodecBenchmark
{
    private static final long FLOAT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(float[].class);

    @Param({ "0", "32768" })
    public int payloadBytes;

    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final ChunkEncoder encoder = new ChunkEncoder();
    private final ChunkDecoder decoder = new ChunkDecoder();
    private UnsafeBuffer buffer;
    private float[] source;
    private float[] target;
    private int payloadOffset;
    private long sequence;

    @Setup(Level.Trial)
    public void setUp()
    {
        payloadOffset = MessageHeaderEncoder.ENCODED_LENGTH + ChunkEncoder.BLOCK_LENGTH;
        buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(payloadOffset + payloadBytes + 64, 64));
        source = new float[payloadBytes / Float.BYTES];
        target = new float[payloadBytes / Float.BYTES];
        for (int i = 0; i < source.length; i++)
        {
            source[i] = i * 0.5f;
        }
        encode();
    }

    /**
     * Header and payload into the buffer.
     *
     * @return the encoded length, so the work is not dead code.
     */
    @Benchmark
    public int encode()
    {
        encoder.wrapAndApplyHeader(buffer, 0, headerEncoder)
            .jobId(0x2aL)
            .sequence(++sequence)
            .weight(1.0)
            .epoch(1)
            .senderRank(1)
            .piece(3)
            .totalCount(262_144)
            .chunkOffset(24_576)
            .chunkCount(source.length)
            .step((short)2)
            .root((short)-1)
            .collective(Collective.ALL_REDUCE)
            .elementType(ElementType.FLOAT32)
            .reduction(Reduction.SUM);
        if (payloadBytes > 0)
        {
            UnsafeApi.copyMemory(source, FLOAT_ARRAY_BASE, null, buffer.addressOffset() + payloadOffset, payloadBytes);
        }
        return encoder.encodedLength();
    }

    /**
     * Header checked and payload read out of the buffer.
     *
     * @return a sum of header fields and an element, so the work is not dead code.
     */
    @Benchmark
    public long decode()
    {
        headerDecoder.wrap(buffer, 0);
        if (headerDecoder.templateId() != ChunkDecoder.TEMPLATE_ID ||
            headerDecoder.schemaId() != ChunkDecoder.SCHEMA_ID)
        {
            throw new IllegalStateException("not a chunk");
        }
        decoder.wrap(
            buffer, MessageHeaderDecoder.ENCODED_LENGTH, headerDecoder.blockLength(), headerDecoder.version());
        final int count = decoder.chunkCount();
        if (payloadBytes > 0)
        {
            UnsafeApi.copyMemory(null, buffer.addressOffset() + payloadOffset, target, FLOAT_ARRAY_BASE,
                (long)count * Float.BYTES);
        }
        return decoder.jobId() + decoder.sequence() + decoder.epoch() + decoder.senderRank() + decoder.step() +
            decoder.piece() + decoder.chunkOffset() + count + decoder.reduction().value() +
            (count > 0 ? (long)target[count - 1] : 0);
    }
}

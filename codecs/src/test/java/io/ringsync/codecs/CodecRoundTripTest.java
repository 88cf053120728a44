package io.ringsync.codecs;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CodecRoundTripTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();

    @Test
    void chunkHeaderIsSixtyFourBytesAndRoundTrips()
    {
        // the payload starts 64 bytes in: alignment of the float data depends on it
        assertEquals(64, MessageHeaderEncoder.ENCODED_LENGTH + ChunkEncoder.BLOCK_LENGTH);
        new ChunkEncoder().wrapAndApplyHeader(buffer, 32, headerEncoder)
            .jobId(0x1234_5678_9abc_def0L)
            .sequence(Long.MAX_VALUE - 1)
            .weight(12_345.5)
            .epoch(3)
            .senderRank(7)
            .step((short)16_381)
            .piece(250)
            .totalCount(Integer.MAX_VALUE)
            .chunkOffset(123_456)
            .chunkCount(16_368)
            .root((short)-1)
            .collective(Collective.ALL_REDUCE)
            .elementType(ElementType.FLOAT64)
            .reduction(Reduction.WEIGHTED_AVG);

        headerDecoder.wrap(buffer, 32);
        assertEquals(ChunkDecoder.TEMPLATE_ID, headerDecoder.templateId());
        assertEquals(ChunkDecoder.SCHEMA_ID, headerDecoder.schemaId());
        final ChunkDecoder decoder = new ChunkDecoder().wrap(
            buffer, 32 + MessageHeaderDecoder.ENCODED_LENGTH, headerDecoder.blockLength(), headerDecoder.version());
        assertEquals(0x1234_5678_9abc_def0L, decoder.jobId());
        assertEquals(Long.MAX_VALUE - 1, decoder.sequence());
        assertEquals(3, decoder.epoch());
        assertEquals(7, decoder.senderRank());
        assertEquals(16_381, decoder.step());
        assertEquals(12_345.5, decoder.weight());
        assertEquals(250, decoder.piece());
        assertEquals(Integer.MAX_VALUE, decoder.totalCount());
        assertEquals(123_456, decoder.chunkOffset());
        assertEquals(16_368, decoder.chunkCount());
        assertEquals(-1, decoder.root());
        assertEquals(Collective.ALL_REDUCE, decoder.collective());
        assertEquals(ElementType.FLOAT64, decoder.elementType());
        assertEquals(Reduction.WEIGHTED_AVG, decoder.reduction());
    }

    @Test
    void helloAndAbortRoundTripWithTheirText()
    {
        final HelloEncoder hello = new HelloEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder)
            .jobId(42).epoch(0).senderRank(2).worldSize(4).pid(99_999).host("node-7/boot");
        final int helloLength = MessageHeaderEncoder.ENCODED_LENGTH + hello.encodedLength();
        headerDecoder.wrap(buffer, 0);
        assertEquals(HelloDecoder.TEMPLATE_ID, headerDecoder.templateId());
        final HelloDecoder helloDecoder = new HelloDecoder().wrap(
            buffer, MessageHeaderDecoder.ENCODED_LENGTH, headerDecoder.blockLength(), headerDecoder.version());
        assertEquals(42, helloDecoder.jobId());
        assertEquals(2, helloDecoder.senderRank());
        assertEquals(4, helloDecoder.worldSize());
        assertEquals(99_999, helloDecoder.pid());
        assertEquals("node-7/boot", helloDecoder.host());
        assertEquals(helloLength, MessageHeaderEncoder.ENCODED_LENGTH + helloDecoder.encodedLength());

        final String reason = "rank 1 called allReduce(1001 x FLOAT32, SUM) — ünïcode kept";
        new AbortEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder)
            .jobId(42).epoch(0).senderRank(1).sequence(57).suspectRank(3).kind(AbortKind.MISMATCH).reason(reason);
        headerDecoder.wrap(buffer, 0);
        assertEquals(AbortDecoder.TEMPLATE_ID, headerDecoder.templateId());
        final AbortDecoder abort = new AbortDecoder().wrap(
            buffer, MessageHeaderDecoder.ENCODED_LENGTH, headerDecoder.blockLength(), headerDecoder.version());
        assertEquals(57, abort.sequence());
        assertEquals(3, abort.suspectRank());
        assertEquals(AbortKind.MISMATCH, abort.kind());
        assertEquals(reason, abort.reason());
    }
}

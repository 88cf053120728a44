package io.ringsync.collectives;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartitionTest
{
    static List<Arguments> cuts()
    {
        final List<Arguments> cuts = new ArrayList<>();
        for (final int segments : new int[]{ 1, 2, 3, 4, 7, 8 })
        {
            for (final int count : new int[]{ 0, 1, segments - 1, segments, segments + 1, 1009, 65_536, 262_147 })
            {
                for (final int maxPiece : new int[]{ 1, 3, 16, 8192 })
                {
                    if (count >= 0 && (long)count / maxPiece < 200_000)
                    {
                        cuts.add(Arguments.of(count, segments, maxPiece));
                    }
                }
            }
        }
        return cuts;
    }

    @ParameterizedTest(name = "count={0} segments={1} maxPiece={2}")
    @MethodSource("cuts")
    void piecesTileTheVectorInOrderWithinTheLimit(final int count, final int segments, final int maxPiece)
    {
        final Partition partition = new Partition().reset(count, segments, maxPiece);
        assertTrue(partition.pieces() >= 1);
        int next = 0;
        int longest = 0;
        for (int segment = 0; segment < segments; segment++)
        {
            assertEquals(next, partition.segmentStart(segment), "segment " + segment + " start");
            final int segmentLength = partition.segmentLength(segment);
            assertTrue(Math.abs(segmentLength - count / segments) <= 1, "segments are balanced");
            for (int piece = 0; piece < partition.pieces(); piece++)
            {
                assertEquals(next, partition.pieceStart(segment, piece), "piece " + piece + " start");
                final int length = partition.pieceLength(segment, piece);
                assertTrue(length >= 0 && length <= maxPiece, "piece length " + length + " within " + maxPiece);
                longest = Math.max(longest, length);
                next += length;
            }
            assertEquals(partition.segmentStart(segment) + segmentLength, next, "segment " + segment + " end");
        }
        assertEquals(count, next, "pieces cover the vector");
        assertEquals(longest, partition.longestPiece(), "longest piece");
    }
}

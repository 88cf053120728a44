package io.ringsync.collectives;

/**
 * The one place that cuts a vector into pieces; every algorithm and test uses it.
 * <p>
 * A vector of {@code count} elements is split into {@code worldSize} segments of near-equal length (the
 * first {@code count % worldSize} segments get one element more), and every segment into the same number
 * of pieces {@link #pieces()}, again of near-equal length, none longer than {@code maxPieceElements}.
 * Every segment has at least one piece even when it is empty, so every step of a ring moves at least one
 * message: ranks that disagree on the vector (a length of 0 against 5, say) always exchange a header and
 * find out, and a zero-length AllReduce still synchronises like a barrier.
 */
final class Partition
{
    private int count;
    private int segments;
    private int pieces;
    private int maxPieceElements;

    /**
     * Re-cut for a new call; allocation-free.
     *
     * @param count            elements in the vector, >= 0.
     * @param segments         number of segments (ranks for a ring, 1 for a chain broadcast), >= 1.
     * @param maxPieceElements largest piece, >= 1.
     * @return this.
     */
    Partition reset(final int count, final int segments, final int maxPieceElements)
    {
        if (count < 0 || segments < 1 || maxPieceElements < 1)
        {
            throw new IllegalArgumentException(
                "count=" + count + " segments=" + segments + " maxPieceElements=" + maxPieceElements);
        }
        this.count = count;
        this.segments = segments;
        final int longestSegment = (int)(((long)count + segments - 1) / segments);
        this.pieces = Math.max(1, (int)(((long)longestSegment + maxPieceElements - 1) / maxPieceElements));
        this.maxPieceElements = (int)(((long)longestSegment + pieces - 1) / pieces);
        return this;
    }

    /**
     * @return elements in the vector.
     */
    int count()
    {
        return count;
    }

    /**
     * @return number of segments.
     */
    int segments()
    {
        return segments;
    }

    /**
     * @return pieces per segment, at least 1.
     */
    int pieces()
    {
        return pieces;
    }

    /**
     * @return the longest piece of this cut, in elements (0 for an empty vector).
     */
    int longestPiece()
    {
        return maxPieceElements;
    }

    /**
     * @param segment 0 to segments - 1.
     * @return index of the segment's first element.
     */
    int segmentStart(final int segment)
    {
        return cutStart(count, segments, segment);
    }

    /**
     * @param segment 0 to segments - 1.
     * @return elements in the segment.
     */
    int segmentLength(final int segment)
    {
        return cutLength(count, segments, segment);
    }

    /**
     * @param segment 0 to segments - 1.
     * @param piece   0 to pieces - 1.
     * @return index of the piece's first element in the whole vector.
     */
    int pieceStart(final int segment, final int piece)
    {
        return segmentStart(segment) + cutStart(segmentLength(segment), pieces, piece);
    }

    /**
     * @param segment 0 to segments - 1.
     * @param piece   0 to pieces - 1.
     * @return elements in the piece, possibly 0.
     */
    int pieceLength(final int segment, final int piece)
    {
        return cutLength(segmentLength(segment), pieces, piece);
    }

    /**
     * The cut every level uses: {@code length} elements in {@code parts} runs of near-equal length, the first
     * {@code length % parts} one element longer. Segments of a vector, pieces of a segment, and the chunks the
     * direct mode flags inside a piece are all cut by it.
     *
     * @param length elements to cut, >= 0.
     * @param parts  runs, >= 1.
     * @param index  0 to parts - 1.
     * @return offset of run {@code index} from the start.
     */
    static int cutStart(final int length, final int parts, final int index)
    {
        return index * (length / parts) + Math.min(index, length % parts);
    }

    /**
     * @param length elements to cut, >= 0.
     * @param parts  runs, >= 1.
     * @param index  0 to parts - 1.
     * @return elements in run {@code index}, possibly 0.
     */
    static int cutLength(final int length, final int parts, final int index)
    {
        return length / parts + (index < length % parts ? 1 : 0);
    }
}

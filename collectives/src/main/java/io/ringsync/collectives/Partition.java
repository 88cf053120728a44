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
        final int base = count / segments;
        final int extra = count % segments;
        return segment * base + Math.min(segment, extra);
    }

    /**
     * @param segment 0 to segments - 1.
     * @return elements in the segment.
     */
    int segmentLength(final int segment)
    {
        return count / segments + (segment < count % segments ? 1 : 0);
    }

    /**
     * @param segment 0 to segments - 1.
     * @param piece   0 to pieces - 1.
     * @return index of the piece's first element in the whole vector.
     */
    int pieceStart(final int segment, final int piece)
    {
        final int length = segmentLength(segment);
        return segmentStart(segment) + piece * (length / pieces) + Math.min(piece, length % pieces);
    }

    /**
     * @param segment 0 to segments - 1.
     * @param piece   0 to pieces - 1.
     * @return elements in the piece, possibly 0.
     */
    int pieceLength(final int segment, final int piece)
    {
        final int length = segmentLength(segment);
        return length / pieces + (piece < length % pieces ? 1 : 0);
    }
}

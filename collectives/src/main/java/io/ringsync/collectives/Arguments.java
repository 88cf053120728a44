package io.ringsync.collectives;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * The argument checks of the public calls, each written once. They run on the calling rank before anything is
 * sent, so a bad argument never reaches the wire.
 */
final class Arguments
{
    private Arguments()
    {
    }

    static void requireVector(final Object vector)
    {
        if (null == vector)
        {
            throw new NullPointerException("vector");
        }
    }

    static void requireOp(final ReduceOp op)
    {
        if (null == op)
        {
            throw new NullPointerException("op");
        }
    }

    static void checkRange(final int offset, final int count, final int length)
    {
        if (offset < 0 || count < 0 || (long)offset + count > length)
        {
            throw new IndexOutOfBoundsException("offset " + offset + " and count " + count +
                " do not fit a vector of length " + length);
        }
    }

    static void checkBuffer(final DirectBuffer buffer, final int byteOffset, final int count, final DataType type)
    {
        if (null == buffer || null == type)
        {
            throw new NullPointerException(null == buffer ? "buffer" : "type");
        }
        if (byteOffset < 0 || count < 0 || (long)byteOffset + (long)count * type.byteSize() > buffer.capacity())
        {
            throw new IndexOutOfBoundsException("byteOffset " + byteOffset + " and " + count + " x " + type +
                " do not fit a buffer of " + buffer.capacity() + " bytes");
        }
    }

    static void checkRank(final int rank, final int size)
    {
        if (rank < 0 || rank >= size)
        {
            throw new IllegalArgumentException("rank " + rank + " is not a rank of this " + size +
                "-rank communicator");
        }
    }

    static void checkRoot(final int root, final int rank, final int size)
    {
        if (root < 0 || root >= size)
        {
            throw new IllegalArgumentException("rank " + rank + ": broadcast root " + root + " is not a rank of this " +
                size + "-rank communicator");
        }
    }

    /**
     * @return the elements the blocks of every rank take: {@code blockCount * size}.
     */
    static int blocks(final int length, final int blockCount, final int rank, final int size)
    {
        if (blockCount < 0 || (long)blockCount * size > length)
        {
            throw new IndexOutOfBoundsException("rank " + rank + ": " + size + " blocks of " + blockCount +
                " elements do not fit a vector of length " + length);
        }
        return blockCount * size;
    }

    /**
     * @return {@code view} wrapped over a user's {@link ByteBuffer}, which must be writable.
     */
    static UnsafeBuffer wrap(final UnsafeBuffer view, final ByteBuffer buffer)
    {
        if (null == buffer)
        {
            throw new NullPointerException("buffer");
        }
        if (buffer.isReadOnly())
        {
            throw new IllegalArgumentException("a read-only ByteBuffer cannot receive the result");
        }
        view.wrap(buffer);
        return view;
    }
}

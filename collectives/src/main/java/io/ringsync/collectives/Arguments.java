package io.ringsync.collectives;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * The argument checks of the public calls, each written once. They run on the calling rank before anything is
 * sent, so a bad argument never reaches the wire; but the call is not simply skipped, which would pair the other
 * ranks' call with this rank's next one: it is refused ({@link EngineDriver#refuse}), so every rank fails that same
 * call, and then the check's exception is thrown here.
 */
final class Arguments
{
    private final EngineDriver driver;
    private final int rank;
    private final int size;

    Arguments(final EngineDriver driver, final int rank, final int size)
    {
        this.driver = driver;
        this.rank = rank;
        this.size = size;
    }

    void vector(final CallKind kind, final Object vector)
    {
        if (null == vector)
        {
            throw driver.refuse(kind, new NullPointerException("vector"));
        }
    }

    void request(final CallKind kind, final Request request)
    {
        if (null == request)
        {
            throw driver.refuse(kind, new NullPointerException("request"));
        }
    }

    void op(final CallKind kind, final ReduceOp op)
    {
        if (null == op)
        {
            throw driver.refuse(kind, new NullPointerException("op"));
        }
    }

    void range(final CallKind kind, final int offset, final int count, final int length)
    {
        if (offset < 0 || count < 0 || (long)offset + count > length)
        {
            throw driver.refuse(kind, new IndexOutOfBoundsException("offset " + offset + " and count " + count +
                " do not fit a vector of length " + length));
        }
    }

    void buffer(final CallKind kind, final DirectBuffer buffer, final int byteOffset, final int count,
        final DataType type)
    {
        if (null == buffer || null == type)
        {
            throw driver.refuse(kind, new NullPointerException(null == buffer ? "buffer" : "type"));
        }
        if (byteOffset < 0 || count < 0 || (long)byteOffset + (long)count * type.byteSize() > buffer.capacity())
        {
            throw driver.refuse(kind, new IndexOutOfBoundsException("byteOffset " + byteOffset + " and " + count +
                " x " + type + " do not fit a buffer of " + buffer.capacity() + " bytes"));
        }
    }

    void root(final CallKind kind, final int root)
    {
        if (root < 0 || root >= size)
        {
            throw driver.refuse(kind, new IllegalArgumentException("rank " + rank + ": broadcast root " + root +
                " is not a rank of this " + size + "-rank communicator"));
        }
    }

    /**
     * @return the elements the blocks of every rank take: {@code blockCount * size}.
     */
    int blocks(final CallKind kind, final int length, final int blockCount)
    {
        if (blockCount < 0 || (long)blockCount * size > length)
        {
            throw driver.refuse(kind, new IndexOutOfBoundsException("rank " + rank + ": " + size + " blocks of " +
                blockCount + " elements do not fit a vector of length " + length));
        }
        return blockCount * size;
    }

    /**
     * @return {@code view} wrapped over a user's {@link ByteBuffer}, which must be writable.
     */
    UnsafeBuffer wrap(final CallKind kind, final UnsafeBuffer view, final ByteBuffer buffer)
    {
        if (null == buffer)
        {
            throw driver.refuse(kind, new NullPointerException("buffer"));
        }
        if (buffer.isReadOnly())
        {
            throw driver.refuse(kind, new IllegalArgumentException("a read-only ByteBuffer cannot receive the result"));
        }
        view.wrap(buffer);
        return view;
    }

    /**
     * Not a call: nothing to refuse.
     */
    static void checkRank(final int rank, final int size)
    {
        if (rank < 0 || rank >= size)
        {
            throw new IllegalArgumentException("rank " + rank + " is not a rank of this " + size +
                "-rank communicator");
        }
    }
}

package io.ringsync.transport.shm;

import io.ringsync.transport.MessageHandler;
import io.ringsync.transport.OutboundLink;
import io.ringsync.transport.PrivateDirectory;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.MutableDirectBuffer;

import java.io.File;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Directories, bounded waits and a checked message pattern shared by the shm transport tests.
 */
final class ShmTestSupport
{
    /**
     * Every message starts with its sequence number and length, then a pattern derived from both.
     */
    static final int MIN_MESSAGE_LENGTH = 8;

    private ShmTestSupport()
    {
    }

    static File newTestDirectory(final String label)
    {
        final File shm = new File("/dev/shm");
        final File parent = shm.isDirectory() ? shm : new File(System.getProperty("java.io.tmpdir"));
        final File dir = new File(parent, "ringsync-shm-test-" + label + "-" + UUID.randomUUID());
        // owner-only, as the transport requires of a directory it is given
        return PrivateDirectory.ensure(dir);
    }

    static void deleteDirectory(final File dir)
    {
        if (null != dir)
        {
            IoUtil.delete(dir, true);
        }
    }

    static ShmTransport.Context context(final File dir, final long jobId, final int rank, final int worldSize)
    {
        return new ShmTransport.Context()
            .directory(dir)
            .jobId(jobId)
            .rank(rank)
            .worldSize(worldSize);
    }

    /**
     * Wait, yielding, until {@code condition} holds; fail after {@code timeoutMs}.
     */
    static void await(final String what, final long timeoutMs, final BooleanSupplier condition)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("timed out after " + timeoutMs + " ms waiting for " + what);
            }
            Thread.yield();
        }
    }

    /**
     * Poll both transports until they have mapped each other's files.
     */
    static void awaitConnected(final ShmTransport a, final ShmTransport b, final long timeoutMs)
    {
        await("rank " + a.rank() + " and rank " + b.rank() + " to connect", timeoutMs,
            () ->
            {
                a.doWork();
                b.doWork();
                return a.isConnected(b.rank()) && b.isConnected(a.rank());
            });
    }

    /**
     * The length of message {@code seq}: cycles through edge cases up to {@code max}, mostly short so 100k
     * messages stay quick.
     */
    static int lengthOf(final int seq, final int max)
    {
        final int[] lengths = { MIN_MESSAGE_LENGTH, 9, 63, 64, 65, 100, 1000, 4096, 8, 17, max - 1, 200, max };
        return Math.min(lengths[seq % lengths.length], max);
    }

    static long patternLong(final int seq, final int index)
    {
        return (seq * 0x9E3779B97F4A7C15L) ^ (index * 0xBF58476D1CE4E5B9L);
    }

    static byte patternByte(final int seq, final int index)
    {
        return (byte)(seq * 31 + index * 7 + 1);
    }

    static void writeMessage(final MutableDirectBuffer buffer, final int offset, final int seq, final int length)
    {
        buffer.putInt(offset, seq);
        buffer.putInt(offset + 4, length);
        int i = MIN_MESSAGE_LENGTH;
        for (; i + 8 <= length; i += 8)
        {
            buffer.putLong(offset + i, patternLong(seq, i));
        }
        for (; i < length; i++)
        {
            buffer.putByte(offset + i, patternByte(seq, i));
        }
    }

    static void verifyMessage(
        final DirectBuffer buffer, final int offset, final int length, final int expectedSeq, final int expectedLength)
    {
        assertEquals(expectedLength, length, () -> "length of message " + expectedSeq);
        assertEquals(expectedSeq, buffer.getInt(offset), "sequence number");
        assertEquals(expectedLength, buffer.getInt(offset + 4), () -> "length field of message " + expectedSeq);
        int i = MIN_MESSAGE_LENGTH;
        for (; i + 8 <= length; i += 8)
        {
            if (buffer.getLong(offset + i) != patternLong(expectedSeq, i))
            {
                fail("message " + expectedSeq + " differs at byte " + i);
            }
        }
        for (; i < length; i++)
        {
            if (buffer.getByte(offset + i) != patternByte(expectedSeq, i))
            {
                fail("message " + expectedSeq + " differs at byte " + i);
            }
        }
    }

    /**
     * Try once to send message {@code seq}.
     *
     * @return true when it was committed.
     */
    static boolean trySend(final OutboundLink link, final int seq, final int length)
    {
        final long offset = link.tryClaim(length);
        if (offset >= 0)
        {
            writeMessage(link.buffer(), (int)offset, seq, length);
            link.commit();
            return true;
        }
        assertTrue(offset == OutboundLink.BACK_PRESSURED || offset == OutboundLink.NOT_CONNECTED,
            () -> "unexpected claim status " + OutboundLink.statusName(offset));
        return false;
    }

    /**
     * Receives messages base + 0, base + 1, base + 2... in order, checking each against the pattern.
     */
    static final class Receiver implements MessageHandler
    {
        private final int maxLength;
        private final int base;
        int next;

        Receiver(final int maxLength)
        {
            this(maxLength, 0);
        }

        /**
         * @param base added to every sequence number: tells the links of a mesh apart.
         */
        Receiver(final int maxLength, final int base)
        {
            this.maxLength = maxLength;
            this.base = base;
        }

        public boolean onMessage(final DirectBuffer buffer, final int offset, final int length)
        {
            final int seq = base + next;
            verifyMessage(buffer, offset, length, seq, lengthOf(seq, maxLength));
            next++;
            return true;
        }
    }
}

package io.ringsync.transport.aeron;

import io.ringsync.transport.MessageHandler;
import io.ringsync.transport.OutboundLink;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.io.File;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Directories, bounded waits and a checked message pattern shared by the Aeron transport tests.
 */
final class AeronTestSupport
{
    /**
     * Every message starts with its sequence number and length, then a byte pattern derived from both.
     */
    static final int MIN_MESSAGE_LENGTH = 8;

    private AeronTestSupport()
    {
    }

    static File newTestDirectory(final String label)
    {
        final File shm = new File("/dev/shm");
        final File parent = shm.isDirectory() ? shm : new File(System.getProperty("java.io.tmpdir"));
        final File dir = new File(parent, "ringsync-test-" + label + "-" + UUID.randomUUID());
        if (!dir.mkdirs())
        {
            throw new IllegalStateException("cannot create " + dir);
        }
        return dir;
    }

    static void deleteDirectory(final File dir)
    {
        if (null != dir)
        {
            IoUtil.delete(dir, true);
        }
    }

    static IdleStrategy newIdleStrategy()
    {
        // spin a little, then park up to 1 ms: the tests share 2 cores with the media driver threads
        return new BackoffIdleStrategy(10, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1));
    }

    /**
     * @param rank      of the new transport.
     * @param jobId     of the job.
     * @param dir       job directory, where the rank embeds its UDP driver.
     * @param endpoints one per rank; the world size.
     * @return the settings of a UDP rank that embeds its driver.
     */
    static AeronTransport.Context udpContext(final int rank, final long jobId, final File dir, final String[] endpoints)
    {
        return new AeronTransport.Context()
            .rank(rank)
            .worldSize(endpoints.length)
            .jobId(jobId)
            .media(AeronMedia.UDP)
            .jobDirectory(dir)
            .udpEndpoints(endpoints);
    }

    /**
     * Wait, idling, until {@code condition} holds; fail after {@code timeoutMs}.
     */
    static void await(final String what, final long timeoutMs, final BooleanSupplier condition)
    {
        final IdleStrategy idle = newIdleStrategy();
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("timed out after " + timeoutMs + " ms waiting for " + what);
            }
            idle.idle();
        }
    }

    static void awaitConnected(final AeronTransport a, final AeronTransport b, final long timeoutMs)
    {
        await("rank " + a.rank() + " and rank " + b.rank() + " to connect", timeoutMs,
            () -> a.isConnected(b.rank()) && b.isConnected(a.rank()));
    }

    /**
     * The length of message {@code seq} in the exchange tests: cycles through edge cases up to {@code max}.
     */
    static int lengthOf(final int seq, final int max)
    {
        final int[] lengths = { MIN_MESSAGE_LENGTH, 9, 31, 32, 33, 100, 1000, 1376, 4096, 32 * 1024, max - 1, max };
        int length = lengths[seq % lengths.length];
        if (length > max)
        {
            length = max - (seq % 7);
        }
        return length;
    }

    static byte patternByte(final int seq, final int index)
    {
        return (byte)(seq * 31 + index * 7 + 1);
    }

    static void writeMessage(final MutableDirectBuffer buffer, final int offset, final int seq, final int length)
    {
        buffer.putInt(offset, seq);
        buffer.putInt(offset + 4, length);
        for (int i = MIN_MESSAGE_LENGTH; i < length; i++)
        {
            buffer.putByte(offset + i, patternByte(seq, i));
        }
    }

    static void verifyMessage(
        final DirectBuffer buffer, final int offset, final int length, final int expectedSeq, final int expectedLength)
    {
        assertEquals(expectedLength, length, "length of message " + expectedSeq);
        assertEquals(expectedSeq, buffer.getInt(offset), "sequence number");
        assertEquals(expectedLength, buffer.getInt(offset + 4), "length field of message " + expectedSeq);
        for (int i = MIN_MESSAGE_LENGTH; i < length; i++)
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
        assertTrue(offset == OutboundLink.BACK_PRESSURED || offset == OutboundLink.ADMIN_ACTION,
            () -> "unexpected claim status " + OutboundLink.statusName(offset));
        return false;
    }

    /**
     * Receives messages 0, 1, 2... in order, checking each against the pattern.
     */
    static final class Receiver implements MessageHandler
    {
        private final int maxLength;
        int next;

        Receiver(final int maxLength)
        {
            this.maxLength = maxLength;
        }

        public boolean onMessage(final DirectBuffer buffer, final int offset, final int length)
        {
            verifyMessage(buffer, offset, length, next, lengthOf(next, maxLength));
            next++;
            return true;
        }
    }

    /**
     * Send {@code count} messages each way between {@code a} and {@code b} from this one thread, receiving as it
     * goes, and check every message arrives whole and in order.
     */
    static void exchange(final AeronTransport a, final AeronTransport b, final int count, final long timeoutMs)
    {
        assertEquals(a.maxMessageLength(), b.maxMessageLength());
        final int max = a.maxMessageLength();
        final OutboundLink aToB = a.outbound(b.rank());
        final OutboundLink bToA = b.outbound(a.rank());
        final Receiver atB = new Receiver(max);
        final Receiver atA = new Receiver(max);
        int sentAToB = 0;
        int sentBToA = 0;

        final IdleStrategy idle = newIdleStrategy();
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (atB.next < count || atA.next < count)
        {
            int work = 0;
            if (sentAToB < count && trySend(aToB, sentAToB, lengthOf(sentAToB, max)))
            {
                sentAToB++;
                work++;
            }
            if (sentBToA < count && trySend(bToA, sentBToA, lengthOf(sentBToA, max)))
            {
                sentBToA++;
                work++;
            }
            work += b.inbound(a.rank()).poll(atB, 16);
            work += a.inbound(b.rank()).poll(atA, 16);

            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("exchange timed out: sent " + sentAToB + "/" + sentBToA + ", received " + atB.next + "/" +
                    atA.next + " of " + count);
            }
            idle.idle(work);
        }

        assertEquals(count, atB.next);
        assertEquals(count, atA.next);
    }
}

package io.ringsync.transport.tcp;

import io.ringsync.transport.MessageHandler;
import io.ringsync.transport.OutboundLink;
import org.agrona.DirectBuffer;

/**
 * The hot-path allocation check the tcp tests share: two connected ranks trade 4 KiB frames both ways, claimed,
 * committed, flushed and polled on this thread, for three rounds of 20,000 steps, and the bytes this thread
 * allocated in the last round (after the JIT has settled) are what the test asserts on.
 */
final class SteadyTraffic
{
    private static final int STEPS = 20_000;
    private static final int ROUNDS = 3;
    private static final int FRAME = 4096;

    /** What a run measured. */
    record Outcome(long framesSent, long allocatedBytes)
    {
    }

    private SteadyTraffic()
    {
    }

    /**
     * @param job        two connected ranks.
     * @param everySteps how often to call {@code extra}, in steps; 0 for never.
     * @param extra      more work of the hot path to include (an epoll wait, say), or null.
     * @return frames sent over all rounds, bytes allocated in the last.
     */
    static Outcome run(final TcpTransport[] job, final int everySteps, final Runnable extra)
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final MessageHandler sink = new MessageHandler()
        {
            long sum;

            public boolean onMessage(final DirectBuffer buffer, final int offset, final int length)
            {
                sum += buffer.getLong(offset) + length;
                return true;
            }
        };
        final long threadId = Thread.currentThread().getId();
        long allocated = 0;
        long sent = 0;
        for (int round = 0; round < ROUNDS; round++)
        {
            final long before = threads.getThreadAllocatedBytes(threadId);
            for (int i = 0; i < STEPS; i++)
            {
                final OutboundLink out = job[i & 1].outbound(1 - (i & 1));
                if (out.availableWindow() >= out.framedLength(FRAME))
                {
                    final long offset = out.tryClaim(FRAME);
                    if (offset >= 0)
                    {
                        out.buffer().putLong((int)offset, i);
                        out.commit();
                        sent++;
                    }
                }
                job[0].doWork();
                job[1].doWork();
                job[0].inbound(1).poll(sink, 16);
                job[1].inbound(0).poll(sink, 16);
                if (null != extra && 0 != everySteps && (i % everySteps) == 0)
                {
                    extra.run();
                }
            }
            allocated = threads.getThreadAllocatedBytes(threadId) - before;
        }
        return new Outcome(sent, allocated);
    }
}

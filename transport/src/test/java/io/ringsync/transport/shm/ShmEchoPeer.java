package io.ringsync.transport.shm;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.MessageHandler;
import io.ringsync.transport.OutboundLink;
import org.agrona.DirectBuffer;

import java.io.File;
import java.util.concurrent.TimeUnit;

/**
 * Rank 1 of a 2-rank shm job in its own process, for {@link ShmTransportProcessTest}: echoes every message it
 * receives from rank 0 back to it, until rank 0's link is lost or a minute has passed.
 * <p>
 * Arguments: job directory, job id (decimal).
 */
public final class ShmEchoPeer
{
    private static final long LIFETIME_NS = TimeUnit.SECONDS.toNanos(60);

    private ShmEchoPeer()
    {
    }

    /**
     * @param args job directory, job id.
     */
    public static void main(final String[] args)
    {
        final File dir = new File(args[0]);
        final long jobId = Long.parseLong(args[1]);
        try (ShmTransport transport = ShmTransport.connect(new ShmTransport.Context()
            .directory(dir)
            .jobId(jobId)
            .rank(1)
            .worldSize(2)))
        {
            final OutboundLink out = transport.outbound(0);
            final InboundLink in = transport.inbound(0);
            final MessageHandler echo = (final DirectBuffer buffer, final int offset, final int length) ->
            {
                final long at = out.tryClaim(length);
                if (at < 0)
                {
                    // not connected yet or back pressured: leave the message for the next poll
                    return false;
                }
                out.buffer().putBytes((int)at, buffer, offset, length);
                out.commit();
                return true;
            };

            final long endNs = System.nanoTime() + LIFETIME_NS;
            long echoed = 0;
            while (!in.isLost() && System.nanoTime() - endNs < 0)
            {
                final int work = in.poll(echo, 16) + transport.doWork();
                echoed += work;
                if (0 == work)
                {
                    Thread.yield();
                }
            }
            System.out.println("echo peer: done after " + echoed + " messages and attachments; " +
                transport.linkStatus(0));
        }
    }
}

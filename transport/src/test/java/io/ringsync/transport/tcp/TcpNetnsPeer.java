package io.ringsync.transport.tcp;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.OutboundLink;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.TimeUnit;

/**
 * A rank on a simulated host (run inside a network namespace by {@link TcpNetnsTest}). Rank 1 echoes every message
 * back. Rank 0 sends {@code count} messages of 60,000 bytes, checks every echo, prints {@code ECHOED <count>}, then
 * waits for its link from rank 1 to be lost (the test kills rank 1) and prints {@code LOST <status>}.
 * Arguments: rank endpoints(comma-separated) jobId count. Exits 2 on any failure, after printing why.
 */
public final class TcpNetnsPeer
{
    private static final int LENGTH = 60_000;

    private TcpNetnsPeer()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int rank = Integer.parseInt(args[0]);
        final String[] endpoints = args[1].split(",");
        final int count = Integer.parseInt(args[3]);
        final TcpTransport transport = TcpTransport.connect(new TcpTransport.Context()
            .rank(rank).worldSize(2).jobId(Long.parseLong(args[2])).endpoints(endpoints)
            .connectTimeoutNs(TimeUnit.SECONDS.toNanos(20)));
        final int peer = 1 - rank;
        final OutboundLink out = transport.outbound(peer);
        final InboundLink in = transport.inbound(peer);
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        if (1 == rank)
        {
            while (!in.isLost() && System.nanoTime() - deadlineNs < 0)
            {
                in.poll((buffer, offset, length) -> out.offer(buffer, offset, length) >= 0, 4);
                transport.doWork();
            }
            System.exit(0);
        }

        final UnsafeBuffer message = new UnsafeBuffer(new byte[LENGTH]);
        final int[] echoed = { 0 };
        int sent = 0;
        while (echoed[0] < count)
        {
            if (sent < count && sent - echoed[0] < 8)
            {
                for (int i = 0; i < LENGTH; i += 4)
                {
                    message.putInt(i, sent * 7919 + i);
                }
                final long result = out.offer(message, 0, LENGTH);
                if (OutboundLink.CLOSED == result)
                {
                    fail(transport, "CLOSED while sending");
                }
                if (result >= 0)
                {
                    sent++;
                }
            }
            in.poll((buffer, offset, length) ->
            {
                for (int i = 0; i < LENGTH; i += 4)
                {
                    if (length != LENGTH || buffer.getInt(offset + i) != echoed[0] * 7919 + i)
                    {
                        fail(transport, "echo " + echoed[0] + " differs at byte " + i);
                    }
                }
                echoed[0]++;
                return true;
            }, 4);
            transport.doWork();
            if (System.nanoTime() - deadlineNs >= 0)
            {
                fail(transport, "only " + echoed[0] + " of " + count + " echoes");
            }
        }
        System.out.println("ECHOED " + echoed[0]);
        System.out.flush();
        while (!in.isLost())
        {
            in.poll((buffer, offset, length) -> true, 4);
            if (System.nanoTime() - deadlineNs >= 0)
            {
                fail(transport, "not lost after the peer was killed");
            }
            Thread.sleep(1);
        }
        System.out.println("LOST " + transport.linkStatus(peer));
        transport.close();
        System.exit(0);
    }

    private static void fail(final TcpTransport transport, final String why)
    {
        System.out.println("FAILED " + why + "; " + transport.linkStatus(1 - transport.rank()));
        System.out.flush();
        System.exit(2);
    }
}

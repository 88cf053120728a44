package io.ringsync.transport.tcp;

import io.ringsync.transport.OutboundLink;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A rank in a process of its own, to be killed by a test: rank 1 of a 2-rank job that sends one message to rank 0,
 * prints READY once its links are up, then echoes whatever it receives until it is killed.
 * Arguments: endpoint0 endpoint1 jobId.
 */
public final class TcpEchoPeer
{
    private TcpEchoPeer()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final TcpTransport transport = TcpTransport.connect(new TcpTransport.Context()
            .rank(1)
            .worldSize(2)
            .jobId(Long.parseLong(args[2]))
            .endpoints(args[0], args[1]));
        final long deadlineNs = System.nanoTime() + 20_000_000_000L;
        while (!transport.isConnected(0))
        {
            if (System.nanoTime() - deadlineNs >= 0)
            {
                System.out.println("FAILED " + transport.linkStatus(0));
                System.exit(2);
            }
            Thread.sleep(1);
        }
        final UnsafeBuffer hello = new UnsafeBuffer(new byte[]{ 1, 2, 3 });
        while (transport.outbound(0).offer(hello, 0, 3) < 0)
        {
            Thread.sleep(1);
        }
        System.out.println("READY");
        System.out.flush();
        final OutboundLink out = transport.outbound(0);
        while (true)
        {
            transport.inbound(0).poll((buffer, offset, length) ->
            {
                out.offer(buffer, offset, length);
                return true;
            }, 16);
            transport.doWork();
            Thread.onSpinWait();
        }
    }
}

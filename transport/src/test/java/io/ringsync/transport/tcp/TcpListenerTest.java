package io.ringsync.transport.tcp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.tcp.TcpTestSupport.awaitConnected;
import static io.ringsync.transport.tcp.TcpTestSupport.context;
import static io.ringsync.transport.tcp.TcpTestSupport.freePorts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rank that must publish its port before it connects binds first and hands the listener to the transport.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TcpListenerTest
{
    @Test
    void aPreBoundListenerOnAnyPortIsTakenOverAndCarriesTheLinks() throws Exception
    {
        final ServerSocketChannel listener = TcpTransport.bindListener(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        final String[] endpoints = { "127.0.0.1:" + listener.socket().getLocalPort(), "127.0.0.1:" + freePorts(1)[0] };
        final TcpTransport zero = TcpTransport.connect(context(0, endpoints, 7).listener(listener));
        final TcpTransport one = TcpTransport.connect(context(1, endpoints, 7));
        try
        {
            awaitConnected(zero, one);
            assertEquals(listener.socket().getLocalPort(), zero.listenAddress().getPort());
            final byte[] message = TcpTestSupport.pattern(1, 100);
            TcpTestSupport.offer(one.outbound(0), one, message, 5_000);
            final byte[][] received = new byte[1][];
            TcpTestSupport.pollUntil(zero.inbound(1), (buffer, offset, length) ->
            {
                received[0] = new byte[length];
                buffer.getBytes(offset, received[0]);
                return true;
            }, 1, 5_000);
            assertArrayEquals(message, received[0]);
        }
        finally
        {
            zero.close();
            one.close();
        }
        assertFalse(listener.isOpen(), "the listener closes with the transport");
    }

    @Test
    void aListenerOnAnotherPortThanTheEndpointIsRefusedAndClosed() throws Exception
    {
        final ServerSocketChannel listener = TcpTransport.bindListener(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        final String[] endpoints = { "127.0.0.1:" + (listener.socket().getLocalPort() == 9 ? 10 : 9), "127.0.0.1:11" };
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> TcpTransport.connect(context(0, endpoints, 7).listener(listener)));
        assertTrue(ex.getMessage().startsWith("listener is bound to port " + listener.socket().getLocalPort() +
            " but this rank's endpoint is 127.0.0.1:"), ex.getMessage());
        assertFalse(listener.isOpen(), "a refused listener is closed, not leaked");
    }
}

package io.ringsync.transport;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The forwarding classes forward every method of their interface, defaults included (a method added to the
 * interface later fails this test until it forwards too), and a message goes through a wrapped pair of links.
 */
class ForwardingTest
{
    @Test
    void everyMethodOfEachInterfaceIsForwarded()
    {
        assertEquals(List.of(), notForwarded(Transport.class, ForwardingTransport.class));
        assertEquals(List.of(), notForwarded(OutboundLink.class, ForwardingOutboundLink.class));
        assertEquals(List.of(), notForwarded(InboundLink.class, ForwardingInboundLink.class));
    }

    @Test
    void aMessageGoesThroughWrappedLinksAndEveryAnswerIsTheDelegates()
    {
        final LocalTransport[] job = LocalTransport.createJob(2, LocalTransport.LINK_CAPACITY_DEFAULT);
        try (Transport zero = new ForwardingTransport(job[0]); Transport one = new ForwardingTransport(job[1]))
        {
            final OutboundLink out = new ForwardingOutboundLink(zero.outbound(1));
            final InboundLink in = new ForwardingInboundLink(one.inbound(0));
            assertEquals(job[0].outbound(1).availableWindow(), out.availableWindow());
            assertEquals(job[0].outbound(1).windowLength(), out.windowLength());
            assertEquals(job[0].outbound(1).framedLength(100), out.framedLength(100));
            assertTrue(out.hasWindow(out.availableWindow()));
            assertFalse(out.hasWindow(out.availableWindow() + 1));
            assertEquals(job[0].maxMessageLength(), zero.maxMessageLength());
            assertEquals(1, one.rank());
            assertEquals(2, one.worldSize());
            assertEquals(job[1].name(), one.name());
            final UnsafeBuffer message = new UnsafeBuffer(new byte[12]);
            message.putLong(0, 0x1234_5678_9ABC_DEF0L);
            message.putInt(8, 42);
            assertTrue(out.offer(message, 0, 12) >= 0);
            final long[] received = new long[2];
            final int polled = in.poll((buffer, offset, length) ->
            {
                received[0] = buffer.getLong(offset);
                received[1] = buffer.getInt(offset + 8);
                return true;
            }, 10);
            assertEquals(1, polled);
            assertEquals(0x1234_5678_9ABC_DEF0L, received[0]);
            assertEquals(42, received[1]);
            assertEquals(0, in.peer());
            assertFalse(in.isLost());
            assertSame(job[1].inbound(0).lossReason(), in.lossReason());
        }
    }

    private static List<String> notForwarded(final Class<?> type, final Class<?> forwarding)
    {
        final List<String> missing = new ArrayList<>();
        for (final Method method : type.getMethods())
        {
            if (Modifier.isStatic(method.getModifiers()))
            {
                continue;
            }
            try
            {
                forwarding.getDeclaredMethod(method.getName(), method.getParameterTypes());
            }
            catch (final NoSuchMethodException ex)
            {
                missing.add(method.getName());
            }
        }
        return missing;
    }
}

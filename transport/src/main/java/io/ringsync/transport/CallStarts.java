package io.ringsync.transport;

/**
 * Told when the layer above begins a collective call on a transport's links: offered by transports whose own
 * background work depends on whether a rank is waiting in a call or away between calls (ask for it with
 * {@code transport.capability(CallStarts.class)}; null where the transport does not care). Aeron udp offers it for
 * its tail probes: a link's quiet time counts from its last data or the call's start, whichever is later, so that
 * a rank that computed between calls does not probe every link at its first look, and a rank descheduled inside a
 * call (an oversubscribed host) still probes.
 */
public interface CallStarts
{
    /**
     * A call begins. Called by the thread that runs the call's work on this transport ({@link Transport#doWork()}
     * included); allocates nothing.
     *
     * @param nowNs {@link System#nanoTime()} at its start.
     */
    void callStarted(long nowNs);
}

package io.ringsync.transport;

/**
 * Blocks the calling thread until a transport may have something to do, instead of spinning, yielding or
 * parking blind: offered by transports whose links are kernel sockets (ask for it with
 * {@code transport.capability(InboundWaiter.class)}; null where the transport has no such wait).
 * <p>
 * Meant for the last stage of an idle strategy when the ranks of a host outnumber its cores: a rank that spins
 * or yields there holds a core its neighbour needs to produce what it waits for, while one blocked in the
 * kernel costs nothing until a packet arrives and is woken by that packet.
 */
public interface InboundWaiter
{
    /**
     * Wait until a link of this transport has something to do (bytes or credits arrived, a peer went away, a
     * stalled send can go on), or {@code maxNanos} passed, whichever comes first. Work that the wake-up makes
     * possible (reading what arrived into the link's buffer) may already be done when it returns, so poll the
     * links afterwards. Returns at once when something is already pending. Spurious early returns are allowed;
     * the granularity of the timeout may be coarser than a nanosecond (a millisecond with JDK selectors).
     * Never throws for a peer that is gone; allocates nothing in steady state.
     *
     * @param maxNanos longest wait; 0 or less only checks.
     */
    void awaitInbound(long maxNanos);
}

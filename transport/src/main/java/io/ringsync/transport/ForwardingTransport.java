package io.ringsync.transport;

import java.util.Objects;

/**
 * A transport that passes every call to another one, for a wrapper that changes one part of it: counts a link's
 * messages, waits its own way in {@link #doWork()}, cuts a link in a test. Subclasses override what they change; every
 * method of {@link Transport}, defaults included, goes to the delegate otherwise, so a wrapper never silently loses a
 * transport's own answer (its {@link #capability}, its sub-meshes). Meshes that {@link #openMesh} opens are the
 * delegate's, not wrapped.
 */
public class ForwardingTransport implements Transport
{
    /**
     * The transport every call goes to.
     */
    protected final Transport delegate;

    /**
     * @param delegate the transport every call goes to.
     */
    public ForwardingTransport(final Transport delegate)
    {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    public int rank()
    {
        return delegate.rank();
    }

    public int worldSize()
    {
        return delegate.worldSize();
    }

    public String name()
    {
        return delegate.name();
    }

    public OutboundLink outbound(final int peer)
    {
        return delegate.outbound(peer);
    }

    public InboundLink inbound(final int peer)
    {
        return delegate.inbound(peer);
    }

    public int maxMessageLength()
    {
        return delegate.maxMessageLength();
    }

    public int doWork()
    {
        return delegate.doWork();
    }

    public Transport openMesh(final long meshId, final int[] members)
    {
        return delegate.openMesh(meshId, members);
    }

    public <T> T capability(final Class<T> type)
    {
        return delegate.capability(type);
    }

    public void close()
    {
        delegate.close();
    }

    public String toString()
    {
        return getClass().getSimpleName() + "{" + delegate + "}";
    }
}

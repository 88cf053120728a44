package io.ringsync.collectives;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.OutboundLink;
import io.ringsync.transport.Transport;

/**
 * A transport that is another one, for tests that change one part of it (count its closes, cut a link): every call
 * goes to the delegate unless a subclass overrides it.
 */
class ForwardingTransport implements Transport
{
    final Transport delegate;

    ForwardingTransport(final Transport delegate)
    {
        this.delegate = delegate;
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

    public <T> T capability(final Class<T> type)
    {
        return delegate.capability(type);
    }

    public void close()
    {
        delegate.close();
    }
}

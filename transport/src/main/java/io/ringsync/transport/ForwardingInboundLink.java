package io.ringsync.transport;

import java.util.Objects;

/**
 * An inbound link that passes every call to another one, defaults included; see {@link ForwardingTransport}.
 */
public class ForwardingInboundLink implements InboundLink
{
    /**
     * The link every call goes to.
     */
    protected final InboundLink delegate;

    /**
     * @param delegate the link every call goes to.
     */
    public ForwardingInboundLink(final InboundLink delegate)
    {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    public int peer()
    {
        return delegate.peer();
    }

    public int poll(final MessageHandler handler, final int limit)
    {
        return delegate.poll(handler, limit);
    }

    public boolean isLost()
    {
        return delegate.isLost();
    }

    public String lossReason()
    {
        return delegate.lossReason();
    }

    public long authenticationFailures()
    {
        return delegate.authenticationFailures();
    }

    public String toString()
    {
        return getClass().getSimpleName() + "{" + delegate + "}";
    }
}

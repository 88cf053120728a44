package io.ringsync.transport;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.util.Objects;

/**
 * An outbound link that passes every call to another one; see {@link ForwardingTransport}. Its defaults forward
 * too ({@link #hasWindow}, {@link #windowLength}, {@link #offer}): a link's own answer may be cheaper (tcp answers
 * {@code hasWindow} without a system call) or different (its window length).
 */
public class ForwardingOutboundLink implements OutboundLink
{
    /**
     * The link every call goes to.
     */
    protected final OutboundLink delegate;

    /**
     * @param delegate the link every call goes to.
     */
    public ForwardingOutboundLink(final OutboundLink delegate)
    {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    public int peer()
    {
        return delegate.peer();
    }

    public long tryClaim(final int length)
    {
        return delegate.tryClaim(length);
    }

    public MutableDirectBuffer buffer()
    {
        return delegate.buffer();
    }

    public void commit()
    {
        delegate.commit();
    }

    public void abort()
    {
        delegate.abort();
    }

    public long availableWindow()
    {
        return delegate.availableWindow();
    }

    public boolean hasWindow(final long bytes)
    {
        return delegate.hasWindow(bytes);
    }

    public long windowLength()
    {
        return delegate.windowLength();
    }

    public int framedLength(final int length)
    {
        return delegate.framedLength(length);
    }

    public long offer(final DirectBuffer src, final int offset, final int length)
    {
        return delegate.offer(src, offset, length);
    }

    public String toString()
    {
        return getClass().getSimpleName() + "{" + delegate + "}";
    }
}

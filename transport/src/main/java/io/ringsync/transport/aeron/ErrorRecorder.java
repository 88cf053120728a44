package io.ringsync.transport.aeron;

import org.agrona.ErrorHandler;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the last error an Aeron client or media driver reported from one of its threads, so the owner can ask
 * for it ({@code lastError()}) instead of the process being killed: Aeron's default client handler exits the
 * JVM on a driver timeout.
 */
final class ErrorRecorder implements ErrorHandler
{
    private final ErrorHandler delegate;
    private final AtomicLong count = new AtomicLong();
    private volatile Throwable lastError;

    /**
     * @param delegate also told of every error, may be null. Whatever it throws is dropped.
     */
    ErrorRecorder(final ErrorHandler delegate)
    {
        this.delegate = delegate;
    }

    /**
     * {@inheritDoc}
     */
    public void onError(final Throwable throwable)
    {
        lastError = throwable;
        count.incrementAndGet();
        if (null != delegate)
        {
            try
            {
                delegate.onError(throwable);
            }
            catch (final Exception ignore)
            {
                // an error handler runs on Aeron's agent threads: never let a user handler take one down
            }
        }
    }

    /**
     * @return the most recent error, or null.
     */
    Throwable lastError()
    {
        return lastError;
    }

    /**
     * @return how many errors have been reported.
     */
    long errorCount()
    {
        return count.get();
    }
}

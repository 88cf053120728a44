package io.ringsync.transport.aeron;

import io.aeron.driver.ThreadingMode;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.TimeUnit;

/**
 * The keeper thread of an {@link ThreadingMode#INVOKER} media driver, and only that: a daemon thread named
 * {@link MediaDriverHost#KEEPER_THREAD_NAME} that runs the driver's duty cycle through
 * {@link MediaDriverHost#doWork()} whenever no rank thread does (between calls, while connecting), parking up to
 * {@link MediaDriverHost#KEEPER_MAX_PARK_NS} between cycles, until it is stopped. Which thread runs a cycle is
 * decided by {@link MediaDriverHost#doWork()} alone.
 */
final class DriverKeeper
{
    private final MediaDriverHost host;
    private final Thread thread;
    private volatile boolean isRunning = true;

    private DriverKeeper(final MediaDriverHost host)
    {
        this.host = host;
        this.thread = new Thread(this::keep, MediaDriverHost.KEEPER_THREAD_NAME);
        this.thread.setDaemon(true);
    }

    /**
     * @param host whose duty cycle to keep running.
     * @return the keeper, its thread started.
     */
    static DriverKeeper start(final MediaDriverHost host)
    {
        final DriverKeeper keeper = new DriverKeeper(host);
        keeper.thread.start();
        return keeper;
    }

    /**
     * Stop the thread and wait up to 5 s for it to end; an interrupt while waiting is kept for the caller.
     */
    void stop()
    {
        isRunning = false;
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private void keep()
    {
        final IdleStrategy idle = new BackoffIdleStrategy(
            10, 20, TimeUnit.MICROSECONDS.toNanos(1), MediaDriverHost.KEEPER_MAX_PARK_NS);
        while (isRunning)
        {
            idle.idle(host.doWork());
        }
    }
}

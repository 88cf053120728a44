package io.ringsync.cli;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;

/**
 * The services a launcher runs for its job (the media driver of an ipc job, the agreement server of a job across
 * hosts): each started through {@link #start}, all closed once by {@link #closeAll}, newest first.
 * <p>
 * A start and the close exclude each other: a shutdown hook closing the job while a service is still starting
 * waits for it and then closes it too (rather than removing the job directory under a driver creating its files),
 * and a start after the close is refused.
 */
final class JobServices
{
    /**
     * Starts one service.
     *
     * @param <S> the service.
     */
    @FunctionalInterface
    interface Starter<S extends AutoCloseable>
    {
        /**
         * @return the running service.
         * @throws LaunchException when it cannot start.
         */
        S start() throws LaunchException;
    }

    private record Running(String name, AutoCloseable service)
    {
    }

    private final Deque<Running> running = new ArrayDeque<>();
    private boolean closed;

    /**
     * Start a service and keep it to close with the job. A {@link RuntimeException} of the starter comes out of this
     * call, and nothing is kept.
     *
     * @param name    what the service is, for messages ("the media driver").
     * @param starter starts it.
     * @param <S>     the service.
     * @return the running service.
     * @throws LaunchException when the job is already being closed, or the starter's.
     */
    synchronized <S extends AutoCloseable> S start(final String name, final Starter<S> starter)
        throws LaunchException
    {
        if (closed)
        {
            throw new LaunchException("stopped while starting " + name);
        }
        final S service = starter.start();
        running.push(new Running(name, service));
        return service;
    }

    /**
     * Close every service started, newest first, once; a later call does nothing, a later start is refused. A
     * service failing to close is reported and the others are still closed.
     *
     * @param log where failures go.
     */
    synchronized void closeAll(final Consumer<String> log)
    {
        closed = true;
        while (!running.isEmpty())
        {
            final Running service = running.pop();
            try
            {
                service.service().close();
            }
            catch (final Exception ex)
            {
                log.accept("ringsync: closing " + service.name() + " failed: " + ex);
            }
        }
    }
}

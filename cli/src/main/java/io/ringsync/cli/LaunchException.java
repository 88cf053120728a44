package io.ringsync.cli;

/**
 * A job that could not be set up or started; the message says why and what to do.
 */
final class LaunchException extends Exception
{
    private static final long serialVersionUID = 1L;

    LaunchException(final String message)
    {
        super(message);
    }

    LaunchException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}

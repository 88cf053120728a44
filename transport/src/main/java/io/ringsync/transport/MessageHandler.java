package io.ringsync.transport;

import org.agrona.DirectBuffer;

/**
 * Reads one message in place from the transport's memory. The bytes are valid only during the call.
 */
@FunctionalInterface
public interface MessageHandler
{
    /**
     * @param buffer holding the message.
     * @param offset of the message's first byte.
     * @param length of the message.
     * @return true when the message was consumed; false to leave it (and everything behind it on the
     * same link) for a later poll, e.g. when its forward cannot be claimed yet.
     */
    boolean onMessage(DirectBuffer buffer, int offset, int length);
}

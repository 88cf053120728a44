package io.ringsync.transport;

/**
 * The receiving end of a directed link: messages are handed to a handler in place, in order.
 */
public interface InboundLink
{
    /**
     * @return the rank this link receives from.
     */
    int peer();

    /**
     * Hand up to {@code limit} waiting messages to {@code handler}, in order. A message the handler
     * declines stays at the head of the link and is offered again by the next poll.
     *
     * @param handler reads each message in place.
     * @param limit   of messages to hand over.
     * @return the number of messages consumed.
     */
    int poll(MessageHandler handler, int limit);

    /**
     * @return true once the transport has seen the sending side go away for good (its process closed or
     * died, the Aeron image timed out). A false answer proves nothing: a stalled peer looks connected.
     */
    boolean isLost();

    /**
     * @return why the link was lost, naming the peer and the cause (closed, reset, a frame that failed
     * authentication), when the transport knows; null otherwise.
     */
    default String lossReason()
    {
        return null;
    }

    /**
     * @return frames from this peer dropped because their authentication tag failed (a job secret is set and the
     * transport authenticates frames), 0 otherwise.
     */
    default long authenticationFailures()
    {
        return 0;
    }
}

package io.ringsync.transport.aeron;

import io.ringsync.transport.security.HmacSha256;
import javax.crypto.Mac;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The Aeron session id of every link of a job: the one place that says which session a link's publication uses and
 * which session its subscription accepts.
 * <p>
 * Each link's session id is the first 32 bits of HMAC-SHA256 over a label, the job id and the link's stream id,
 * keyed by a secret every rank of the job shares: the rendezvous' 128-bit random session id, the job secret, or
 * both. Every rank computes the same ids without exchanging them; a stranger who knows the port, the job id and the
 * stream ids (all of which can be guessed or seen in names) cannot compute them, so frames it makes up belong to
 * a session the job's subscriptions ignore. It can still guess: one SETUP frame hits with a chance of 2^-32.
 * <p>
 * Without a shared secret the key is the job id itself. The ids then keep jobs and stale publishers from mixing
 * their frames by accident, but anyone who knows the job id can compute them: no protection against an attacker.
 * <p>
 * None of this stops a host that sees the traffic: it reads the session ids off the frames.
 */
public final class LinkSessionIds
{
    private static final byte[] LABEL = "ringsync aeron link session v1".getBytes(StandardCharsets.US_ASCII);

    private final long jobId;
    private final boolean isSecret;
    private final Mac mac;

    private LinkSessionIds(final long jobId, final byte[] key, final boolean isSecret)
    {
        this.jobId = jobId;
        this.isSecret = isSecret;
        try
        {
            mac = HmacSha256.keyed(key);
        }
        finally
        {
            Arrays.fill(key, (byte)0);
        }
    }

    /**
     * @param jobId  identical on every rank of the job.
     * @param secret random bytes every rank of the job shares and strangers do not know (the rendezvous session id
     *               and/or the job secret), or null to derive the ids from the job id only (accidents, not
     *               attackers). Not kept: only a key derived from it is.
     * @return the session ids of the job's links.
     * @throws IllegalArgumentException when {@code secret} is empty.
     */
    public static LinkSessionIds of(final long jobId, final byte[] secret)
    {
        if (null == secret)
        {
            return new LinkSessionIds(jobId, ByteBuffer.allocate(Long.BYTES).putLong(jobId).array(), false);
        }

        if (0 == secret.length)
        {
            throw new IllegalArgumentException("the session secret is empty: give null for none, or random bytes " +
                "every rank shares");
        }

        return new LinkSessionIds(jobId, secret.clone(), true);
    }

    /**
     * @param streamId of the link, unique among the job's links.
     * @return the Aeron session id of the link: its publication's, and the only one its subscription accepts.
     */
    public synchronized int sessionId(final int streamId)
    {
        mac.update(LABEL);
        mac.update(ByteBuffer.allocate(Long.BYTES + Integer.BYTES).putLong(jobId).putInt(streamId).array());
        return ByteBuffer.wrap(mac.doFinal()).getInt();
    }

    /**
     * @return true when the ids derive from a shared secret, false when only from the job id.
     */
    public boolean isSecret()
    {
        return isSecret;
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "LinkSessionIds{jobId=0x" + Long.toHexString(jobId) + ", from " +
            (isSecret ? "a shared secret" : "the job id only") + "}";
    }
}

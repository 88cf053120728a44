package io.ringsync.transport.rendezvous;

import io.ringsync.transport.security.HmacSha256;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * What travels between a rank and the rendezvous server (rank 0), on one TCP connection per rank. Every message is a
 * frame: {@code int type}, {@code int length}, then {@code length} bytes (big-endian, strings as
 * {@link DataOutputStream#writeUTF}).
 * <pre>
 *  server: WELCOME  magic, version, flags (1 = a job secret is required), 32-byte server nonce
 *  rank:   JOIN     body: magic, version, rank, world size, flags (1 = this rank has a secret), 32-byte rank nonce,
 *                   host identity, endpoint count, endpoints; then the tag length and the tag
 *  server: WAITING  joined count, world size, missing count, the first missing ranks (sent on acceptance and
 *                   about every second: it is also the heartbeat)
 *  server: TABLE    body: job id, 16-byte session id, world size, per rank host identity, endpoint count, endpoints;
 *                   then the tag length and the tag
 *  server: REFUSED  why this rank was refused (the connection then closes)
 *  server: FAILED   why the rendezvous failed as a whole (a rank never arrived, the world sizes differ)
 * </pre>
 * With a job secret the tags are HMAC-SHA256 under the secret: the rank's over a label, both nonces and the JOIN
 * body, the server's over another label, both nonces and the TABLE body. Each side proves it knows the secret without
 * sending it; the nonces make a recorded exchange useless on another connection. Without a secret the tags are
 * empty.
 */
final class RendezvousProtocol
{
    /**
     * "RSYNCRDV" in ASCII, big-endian.
     */
    static final long MAGIC = 0x5253594E43524456L;
    static final int VERSION = 1;

    static final int WELCOME = 1;
    static final int JOIN = 2;
    static final int WAITING = 3;
    static final int TABLE = 4;
    static final int REFUSED = 5;
    static final int FAILED = 6;

    static final int FLAG_SECRET = 1;
    static final int NONCE_LENGTH = 32;
    static final int SESSION_ID_LENGTH = 16;
    static final int MAX_ENDPOINTS = 16;

    /**
     * Largest frame before the peer is authenticated (WELCOME, JOIN, REFUSED): a JOIN is a few hundred bytes.
     */
    static final int MAX_SMALL_FRAME = 64 * 1024;

    /**
     * Largest frame at all: a TABLE of a very large job.
     */
    static final int MAX_FRAME = 64 * 1024 * 1024;

    /**
     * How many missing ranks a WAITING frame lists.
     */
    static final int MISSING_LISTED = 64;

    private static final byte[] JOIN_LABEL = "ringsync rendezvous join v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TABLE_LABEL = "ringsync rendezvous table v1".getBytes(StandardCharsets.US_ASCII);

    private RendezvousProtocol()
    {
    }

    /**
     * A frame read off the wire.
     */
    static final class Frame
    {
        final int type;
        final byte[] payload;

        Frame(final int type, final byte[] payload)
        {
            this.type = type;
            this.payload = payload;
        }

        DataInputStream in()
        {
            return new DataInputStream(new ByteArrayInputStream(payload));
        }
    }

    static void write(final DataOutputStream out, final int type, final byte[] payload) throws IOException
    {
        out.writeInt(type);
        out.writeInt(payload.length);
        out.write(payload);
        out.flush();
    }

    /**
     * @param maxLength largest payload accepted.
     * @return the next frame.
     * @throws IOException on end of stream, a timeout, or a frame longer than {@code maxLength}.
     */
    static Frame read(final DataInputStream in, final int maxLength) throws IOException
    {
        final int type = in.readInt();
        final int length = in.readInt();
        if (length < 0 || length > maxLength)
        {
            throw new IOException("a rendezvous frame of type " + type + " and " + length + " bytes (at most " +
                maxLength + "): not a ringsync rendezvous peer, or another version");
        }
        final byte[] payload = new byte[length];
        in.readFully(payload);
        return new Frame(type, payload);
    }

    static byte[] text(final String text) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final DataOutputStream out = new DataOutputStream(bytes);
        out.writeUTF(text.length() > 16_000 ? text.substring(0, 16_000) + "..." : text);
        return bytes.toByteArray();
    }

    static String text(final Frame frame) throws IOException
    {
        return frame.in().readUTF();
    }

    /**
     * A body followed by its tag: {@code int} body length, body, {@code int} tag length, tag.
     */
    static byte[] signed(final byte[] body, final byte[] tag) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(body.length + tag.length + 8);
        final DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(body.length);
        out.write(body);
        out.writeInt(tag.length);
        out.write(tag);
        return bytes.toByteArray();
    }

    /**
     * @return {body, tag} of a {@link #signed} payload.
     */
    static byte[][] unsign(final Frame frame) throws IOException
    {
        final DataInputStream in = frame.in();
        final byte[] body = readBytes(in, frame.payload.length);
        final byte[] tag = readBytes(in, 64);
        if (in.available() > 0)
        {
            throw new IOException("trailing bytes after a rendezvous tag");
        }
        return new byte[][]{ body, tag };
    }

    private static byte[] readBytes(final DataInputStream in, final int max) throws IOException
    {
        final int length = in.readInt();
        if (length < 0 || length > max)
        {
            throw new EOFException("a field of " + length + " bytes");
        }
        final byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }

    static byte[] joinTag(final byte[] secret, final byte[] serverNonce, final byte[] rankNonce, final byte[] body)
    {
        return null == secret ? new byte[0] : HmacSha256.ofFields(secret, JOIN_LABEL, serverNonce, rankNonce, body);
    }

    static byte[] tableTag(final byte[] secret, final byte[] serverNonce, final byte[] rankNonce, final byte[] body)
    {
        return null == secret ? new byte[0] : HmacSha256.ofFields(secret, TABLE_LABEL, serverNonce, rankNonce, body);
    }

    /**
     * @return whether the tags are equal, in time independent of where they differ.
     */
    static boolean tagsMatch(final byte[] expected, final byte[] actual)
    {
        return MessageDigest.isEqual(expected, actual);
    }

    /**
     * A rank's request to join, as sent and as read.
     */
    static final class Join
    {
        final int rank;
        final int worldSize;
        final boolean hasSecret;
        final byte[] nonce;
        final String host;
        final String[] endpoints;

        Join(final int rank, final int worldSize, final boolean hasSecret, final byte[] nonce, final String host,
            final String[] endpoints)
        {
            this.rank = rank;
            this.worldSize = worldSize;
            this.hasSecret = hasSecret;
            this.nonce = nonce;
            this.host = host;
            this.endpoints = endpoints;
        }

        byte[] encode() throws IOException
        {
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            final DataOutputStream out = new DataOutputStream(bytes);
            out.writeLong(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(rank);
            out.writeInt(worldSize);
            out.writeInt(hasSecret ? FLAG_SECRET : 0);
            out.write(nonce);
            out.writeUTF(host);
            out.writeInt(endpoints.length);
            for (final String endpoint : endpoints)
            {
                out.writeUTF(endpoint);
            }
            return bytes.toByteArray();
        }

        static Join decode(final byte[] body) throws IOException
        {
            final DataInputStream in = new DataInputStream(new ByteArrayInputStream(body));
            final long magic = in.readLong();
            final int version = in.readInt();
            if (MAGIC != magic || VERSION != version)
            {
                throw new IOException("not a join of rendezvous protocol version " + VERSION + " (magic 0x" +
                    Long.toHexString(magic) + ", version " + version + ")");
            }
            final int rank = in.readInt();
            final int worldSize = in.readInt();
            final boolean hasSecret = 0 != (in.readInt() & FLAG_SECRET);
            final byte[] nonce = new byte[NONCE_LENGTH];
            in.readFully(nonce);
            final String host = in.readUTF();
            final int count = in.readInt();
            if (count < 0 || count > MAX_ENDPOINTS)
            {
                throw new IOException(count + " endpoints (at most " + MAX_ENDPOINTS + ")");
            }
            final String[] endpoints = new String[count];
            for (int i = 0; i < count; i++)
            {
                endpoints[i] = in.readUTF();
            }
            return new Join(rank, worldSize, hasSecret, nonce, host, endpoints);
        }
    }

    static byte[] encodeTable(final long jobId, final byte[] sessionId, final String[] hosts,
        final String[][] endpoints) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final DataOutputStream out = new DataOutputStream(bytes);
        out.writeLong(jobId);
        out.write(sessionId);
        out.writeInt(hosts.length);
        for (int r = 0; r < hosts.length; r++)
        {
            out.writeUTF(hosts[r]);
            out.writeInt(endpoints[r].length);
            for (final String endpoint : endpoints[r])
            {
                out.writeUTF(endpoint);
            }
        }
        return bytes.toByteArray();
    }

    static RendezvousTable decodeTable(final int rank, final byte[] body) throws IOException
    {
        final DataInputStream in = new DataInputStream(new ByteArrayInputStream(body));
        final long jobId = in.readLong();
        final byte[] sessionId = new byte[SESSION_ID_LENGTH];
        in.readFully(sessionId);
        final int worldSize = in.readInt();
        if (worldSize < 1 || worldSize > body.length)
        {
            throw new IOException("a table of " + worldSize + " ranks");
        }
        final String[] hosts = new String[worldSize];
        final String[][] endpoints = new String[worldSize][];
        for (int r = 0; r < worldSize; r++)
        {
            hosts[r] = in.readUTF();
            final int count = in.readInt();
            if (count < 0 || count > MAX_ENDPOINTS)
            {
                throw new IOException("rank " + r + " has " + count + " endpoints in the table");
            }
            endpoints[r] = new String[count];
            for (int i = 0; i < count; i++)
            {
                endpoints[r][i] = in.readUTF();
            }
        }
        return new RendezvousTable(rank, jobId, sessionId, hosts, endpoints);
    }

    static byte[] encodeWaiting(final int joined, final int worldSize, final int[] missing) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(joined);
        out.writeInt(worldSize);
        out.writeInt(missing.length);
        final int listed = Math.min(missing.length, MISSING_LISTED);
        out.writeInt(listed);
        for (int i = 0; i < listed; i++)
        {
            out.writeInt(missing[i]);
        }
        return bytes.toByteArray();
    }

    /**
     * @return what a WAITING frame says, as "rank 0 was waiting for ranks 2, 5 (3 of 5 joined)".
     */
    static String decodeWaiting(final Frame frame) throws IOException
    {
        final DataInputStream in = frame.in();
        final int joined = in.readInt();
        final int worldSize = in.readInt();
        final int missing = in.readInt();
        final int listed = Math.min(in.readInt(), MISSING_LISTED);
        final int[] ranks = new int[Math.max(0, listed)];
        for (int i = 0; i < ranks.length; i++)
        {
            ranks[i] = in.readInt();
        }
        return "rank 0 was still waiting for " + Rendezvous.rankList(ranks, missing) + " (" + joined + " of " +
            worldSize + " joined)";
    }
}

package io.ringsync.transport.agreement;

import io.ringsync.transport.security.HmacSha256;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * What travels between an {@link AgreementClient} and the {@link AgreementServer}, on one TCP connection per client
 * (big-endian; strings US-ASCII, length-prefixed):
 * <pre>
 *  server: magic, version, status (OK, or BUSY and a reason, then the connection closes), 32-byte server nonce
 *  client: magic, version, 32-byte client nonce, 32-byte client proof
 *  server: status (OK, or REFUSED and a reason, then the connection closes), 32-byte server proof
 *  then, any number of times:
 *  client: length, request body (op: get, put, put once, hold; name, value), 32-byte tag
 *  server: length, response body (status, value), 32-byte tag
 * </pre>
 * The proofs are HMAC-SHA256 under the job secret of a side label and both nonces, so each side shows it knows the
 * secret without sending it, and a recorded exchange is worthless on another connection. Every message after that
 * carries HMAC-SHA256 under a key of this connection (derived from the secret and both nonces) over its direction,
 * its sequence number and its body: a message changed, replayed, reordered or sent the wrong way is refused and the
 * connection closed. A name put by {@code hold} lives as long as the connection that put it: when it ends (the
 * process exited, or closed it) the server removes the name, so it says whether a process still runs. Values are
 * not secret (ranks, pids, endpoints) and travel in the clear.
 */
final class AgreementProtocol
{
    /**
     * "RSYNCAGR" in ASCII.
     */
    static final long MAGIC = 0x5253594E43414752L;
    static final int VERSION = 2;
    static final int NONCE_LENGTH = 32;
    static final int TAG_LENGTH = 32;

    static final int OP_GET = 1;
    static final int OP_PUT = 2;
    static final int OP_PUT_ONCE = 3;
    static final int OP_HOLD = 4;

    static final int STATUS_OK = 0;
    static final int STATUS_ABSENT = 1;
    static final int STATUS_TAKEN = 2;
    static final int STATUS_REFUSED = 3;
    /**
     * Over a limit on connections for now: try again.
     */
    static final int STATUS_BUSY = 4;

    /**
     * Largest body accepted: an op, a name and a value, with room to spare.
     */
    static final int MAX_BODY = 4 * (AgreementStore.MAX_NAME_LENGTH + AgreementStore.MAX_VALUE_LENGTH) + 64;

    private static final byte[] CLIENT_PROOF = label("ringsync agreement client proof");
    private static final byte[] SERVER_PROOF = label("ringsync agreement server proof");
    private static final byte[] SESSION_KEY = label("ringsync agreement connection key");
    private static final byte[] TO_SERVER = label("to server");
    private static final byte[] TO_CLIENT = label("to client");
    private static final SecureRandom RANDOM = new SecureRandom();

    private AgreementProtocol()
    {
    }

    static byte[] nonce()
    {
        final byte[] nonce = new byte[NONCE_LENGTH];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    static byte[] clientProof(final byte[] secret, final byte[] serverNonce, final byte[] clientNonce)
    {
        return HmacSha256.ofFields(secret, CLIENT_PROOF, serverNonce, clientNonce);
    }

    static byte[] serverProof(final byte[] secret, final byte[] serverNonce, final byte[] clientNonce)
    {
        return HmacSha256.ofFields(secret, SERVER_PROOF, serverNonce, clientNonce);
    }

    static byte[] connectionKey(final byte[] secret, final byte[] serverNonce, final byte[] clientNonce)
    {
        return HmacSha256.ofFields(secret, SESSION_KEY, serverNonce, clientNonce);
    }

    static boolean matches(final byte[] expected, final byte[] actual)
    {
        return MessageDigest.isEqual(expected, actual);
    }

    /**
     * The authenticated messages of one connection, one direction each way, numbered from 0.
     */
    static final class Channel
    {
        private final DataInputStream in;
        private final DataOutputStream out;
        private final byte[] key;
        private final byte[] sendLabel;
        private final byte[] receiveLabel;
        private long sent;
        private long received;

        Channel(
            final DataInputStream in, final DataOutputStream out, final byte[] key, final boolean server)
        {
            this.in = in;
            this.out = out;
            this.key = key;
            this.sendLabel = server ? TO_CLIENT : TO_SERVER;
            this.receiveLabel = server ? TO_SERVER : TO_CLIENT;
        }

        void send(final int code, final String name, final String value) throws IOException
        {
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            final DataOutputStream body = new DataOutputStream(bytes);
            body.writeInt(code);
            writeString(body, name);
            writeString(body, value);
            final byte[] encoded = bytes.toByteArray();
            out.writeInt(encoded.length);
            out.write(encoded);
            out.write(HmacSha256.ofFields(key, sendLabel, sequence(sent++), encoded));
            out.flush();
        }

        Message receive() throws IOException
        {
            final int length = in.readInt();
            if (length < 4 || length > MAX_BODY)
            {
                throw new IOException("an agreement message of " + length + " bytes (at most " + MAX_BODY + ")");
            }
            final byte[] encoded = new byte[length];
            in.readFully(encoded);
            final byte[] tag = new byte[TAG_LENGTH];
            in.readFully(tag);
            if (!matches(HmacSha256.ofFields(key, receiveLabel, sequence(received++), encoded), tag))
            {
                throw new IOException("an agreement message failed its tag: changed, replayed or not from this " +
                    "job's peer");
            }
            final DataInputStream body = new DataInputStream(new java.io.ByteArrayInputStream(encoded));
            return new Message(body.readInt(), readString(body), readString(body));
        }
    }

    /**
     * A request (code = op) or a response (code = status).
     */
    static final class Message
    {
        final int code;
        final String name;
        final String value;

        Message(final int code, final String name, final String value)
        {
            this.code = code;
            this.name = name;
            this.value = value;
        }
    }

    static void writeString(final DataOutputStream out, final String value) throws IOException
    {
        if (null == value)
        {
            out.writeInt(-1);
            return;
        }
        final byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    static String readString(final DataInputStream in) throws IOException
    {
        final int length = in.readInt();
        if (length == -1)
        {
            return null;
        }
        if (length < 0 || length > AgreementStore.MAX_VALUE_LENGTH)
        {
            throw new IOException("an agreement string of " + length + " bytes");
        }
        final byte[] bytes = new byte[length];
        in.readFully(bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static byte[] sequence(final long number)
    {
        final byte[] bytes = new byte[Long.BYTES];
        for (int i = 0; i < Long.BYTES; i++)
        {
            bytes[i] = (byte)(number >>> (56 - 8 * i));
        }
        return bytes;
    }

    private static byte[] label(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}

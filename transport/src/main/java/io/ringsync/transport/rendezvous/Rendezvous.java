package io.ringsync.transport.rendezvous;

import io.ringsync.transport.HostIdentity;
import io.ringsync.transport.Ranks;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Start-up of a job across hosts: rank 0 serves on a known {@code host:port} (the rendezvous), every other rank
 * connects there, retrying until the deadline (rank 0 may not be up yet, its host name may not resolve yet while
 * cluster DNS comes up), and says who it is: its rank, the world size it was given, its host identity and the
 * endpoints it listens on. Once every rank has joined, rank 0 answers each with the same {@link RendezvousTable}:
 * every rank's host and endpoints, a fresh job id and a random session id.
 * <p>
 * Refusals are loud on both sides. A rank that gives another world size than rank 0's fails the whole rendezvous,
 * on every rank, with both values; a second process with a rank that has already joined is refused; when the
 * deadline passes, rank 0 and every rank still waiting name the ranks that never arrived. With a job secret
 * ({@link Context#secret(byte[])}), joining takes a challenge and response with HMAC-SHA256 in both directions
 * (the secret never crosses the wire): a join with a wrong or missing secret is refused, counted and logged by
 * rank 0, and the joining process fails with a message saying so. Without a secret anyone who can reach the port
 * can join.
 * <p>
 * This runs once at start-up: blocking JDK sockets, a thread per connection on rank 0, and a timeout on every read,
 * so that nothing waits longer than the deadline (plus a few seconds to deliver the outcome). Protocol:
 * {@link RendezvousProtocol}.
 */
public final class Rendezvous
{
    /**
     * Default deadline of the whole rendezvous: ranks of a cluster job may start minutes apart.
     */
    public static final long TIMEOUT_NS_DEFAULT = TimeUnit.MINUTES.toNanos(5);

    /**
     * Default longest time one connection may take to say who it is (rank 0 reading a join, a rank reading the
     * welcome).
     */
    public static final long CONNECTION_TIMEOUT_NS_DEFAULT = TimeUnit.SECONDS.toNanos(10);

    private Rendezvous()
    {
    }

    /**
     * Join the rendezvous: serve it on rank 0, connect to it on the others. Blocks until every rank has joined, or
     * throws.
     *
     * @param ctx settings; concluded here.
     * @return the table every rank gets.
     * @throws RendezvousException when it is refused, a rank never arrives, or it cannot be served or reached.
     * @throws IllegalArgumentException for a bad setting.
     */
    public static RendezvousTable join(final Context ctx)
    {
        ctx.conclude();
        if (0 == ctx.rank())
        {
            try (RendezvousServer server = RendezvousServer.bind(ctx))
            {
                return server.run();
            }
        }
        return new RendezvousClient(ctx).run();
    }

    /**
     * @param ranks  some ranks, ascending.
     * @param total  how many there are in all (may exceed {@code ranks.length} when the list was cut).
     * @return "rank 2", "ranks 2, 5", or "ranks 2, 5, ... (70 in all)".
     */
    static String rankList(final int[] ranks, final int total)
    {
        final StringBuilder sb = new StringBuilder(total == 1 ? "rank " : "ranks ");
        for (int i = 0; i < ranks.length; i++)
        {
            sb.append(i == 0 ? "" : ", ").append(ranks[i]);
        }
        if (total > ranks.length)
        {
            sb.append(", ... (").append(total).append(" in all)");
        }
        return sb.toString();
    }

    /**
     * Settings of a rendezvous, fluent; checked by {@link #conclude()}.
     */
    public static final class Context
    {
        private int rank = -1;
        private int worldSize;
        private String address;
        private String addressSource = "the rendezvous address";
        private String host;
        private int port;
        private long timeoutNs = TIMEOUT_NS_DEFAULT;
        private long connectionTimeoutNs = CONNECTION_TIMEOUT_NS_DEFAULT;
        private byte[] secret;
        private String[] endpoints = new String[0];
        private String hostIdentity;
        private long jobId;
        private String bindHost;
        private Supplier<RuntimeException> abortCheck = () -> null;
        private Consumer<String> log = line ->
        {
            System.err.println(line);
            System.err.flush();
        };

        /**
         * Check the settings and parse the address.
         *
         * @return this.
         * @throws IllegalArgumentException naming the bad setting.
         */
        public Context conclude()
        {
            Ranks.check(rank, worldSize);
            if (null == address)
            {
                throw new IllegalArgumentException("address is not set: the rendezvous needs rank 0's host:port");
            }
            final int colon = address.lastIndexOf(':');
            String parsedHost = colon > 0 ? address.substring(0, colon).trim() : "";
            int parsedPort = -1;
            try
            {
                parsedPort = colon > 0 ? Integer.parseInt(address.substring(colon + 1).trim()) : -1;
            }
            catch (final NumberFormatException ignore)
            {
                parsedPort = -1;
            }
            if (parsedHost.startsWith("[") && parsedHost.endsWith("]"))
            {
                parsedHost = parsedHost.substring(1, parsedHost.length() - 1);
            }
            else if (parsedHost.indexOf(':') >= 0)
            {
                parsedPort = -1; // an IPv6 address must be bracketed
            }
            if (parsedHost.isEmpty() || parsedPort < 1 || parsedPort > 65535)
            {
                throw new IllegalArgumentException(addressSource + " is '" + address + "', not host:port with a " +
                    "port from 1 to 65535 (an IPv6 address as [address]:port)");
            }
            host = parsedHost;
            port = parsedPort;
            if (timeoutNs <= 0 || connectionTimeoutNs <= 0)
            {
                throw new IllegalArgumentException("timeoutNs=" + timeoutNs + " and connectionTimeoutNs=" +
                    connectionTimeoutNs + " must be positive");
            }
            if (null != secret && 0 == secret.length)
            {
                throw new IllegalArgumentException("the job secret is empty: give one of at least 1 byte, or none");
            }
            if (endpoints.length > RendezvousProtocol.MAX_ENDPOINTS)
            {
                throw new IllegalArgumentException(endpoints.length + " endpoints, at most " +
                    RendezvousProtocol.MAX_ENDPOINTS);
            }
            if (null == hostIdentity)
            {
                hostIdentity = HostIdentity.current();
            }
            return this;
        }

        /**
         * @param rank this process' rank; rank 0 serves the rendezvous.
         * @return this.
         */
        public Context rank(final int rank)
        {
            this.rank = rank;
            return this;
        }

        /**
         * @return this process' rank.
         */
        public int rank()
        {
            return rank;
        }

        /**
         * @param worldSize ranks in the job, the same on every rank.
         * @return this.
         */
        public Context worldSize(final int worldSize)
        {
            this.worldSize = worldSize;
            return this;
        }

        /**
         * @return ranks in the job.
         */
        public int worldSize()
        {
            return worldSize;
        }

        /**
         * @param address {@code host:port} of the rendezvous: rank 0 serves on the port (on every interface, unless
         *                {@link #bindHost(String)}), the others connect to the host.
         * @return this.
         */
        public Context address(final String address)
        {
            this.address = null == address ? null : address.trim();
            return this;
        }

        /**
         * @return the rendezvous address.
         */
        public String address()
        {
            return address;
        }

        /**
         * @param addressSource where the address came from, for messages, e.g. {@code RINGSYNC_RENDEZVOUS=h:29500}.
         * @return this.
         */
        public Context addressSource(final String addressSource)
        {
            this.addressSource = addressSource;
            return this;
        }

        /**
         * @return where the address came from.
         */
        public String addressSource()
        {
            return addressSource;
        }

        /**
         * @return host part of the address, once concluded.
         */
        public String host()
        {
            return host;
        }

        /**
         * @return port of the address, once concluded.
         */
        public int port()
        {
            return port;
        }

        /**
         * @param timeoutNs deadline of the whole rendezvous, from the call to {@link Rendezvous#join(Context)}.
         * @return this.
         */
        public Context timeoutNs(final long timeoutNs)
        {
            this.timeoutNs = timeoutNs;
            return this;
        }

        /**
         * @return the deadline in nanoseconds.
         */
        public long timeoutNs()
        {
            return timeoutNs;
        }

        /**
         * @param connectionTimeoutNs longest time a connection may take to say who it is.
         * @return this.
         */
        public Context connectionTimeoutNs(final long connectionTimeoutNs)
        {
            this.connectionTimeoutNs = connectionTimeoutNs;
            return this;
        }

        /**
         * @return the per-connection timeout in nanoseconds.
         */
        public long connectionTimeoutNs()
        {
            return connectionTimeoutNs;
        }

        /**
         * @param secret the job secret every rank must know to join, or null for none (anyone who reaches the port
         *               can join). Never sent: both sides prove it with HMAC-SHA256 over fresh nonces.
         * @return this.
         */
        public Context secret(final byte[] secret)
        {
            this.secret = null == secret ? null : secret.clone();
            return this;
        }

        byte[] secret()
        {
            return secret;
        }

        /**
         * @return whether a job secret is set.
         */
        public boolean hasSecret()
        {
            return null != secret;
        }

        /**
         * @param endpoints what this rank listens on (e.g. {@code 10.0.0.5:41234}), in the table for the others;
         *                  none for a transport that needs none.
         * @return this.
         */
        public Context endpoints(final String... endpoints)
        {
            this.endpoints = null == endpoints ? new String[0] : endpoints.clone();
            return this;
        }

        /**
         * @return this rank's endpoints.
         */
        public String[] endpoints()
        {
            return endpoints.clone();
        }

        /**
         * @param hostIdentity this rank's host identity; {@link HostIdentity#current()} by default (tests give each
         *                     simulated host its own).
         * @return this.
         */
        public Context hostIdentity(final String hostIdentity)
        {
            this.hostIdentity = hostIdentity;
            return this;
        }

        /**
         * @return this rank's host identity (set once concluded).
         */
        public String hostIdentity()
        {
            return hostIdentity;
        }

        /**
         * @param jobId on rank 0: the job id to hand out, 0 (default) for a fresh random one; ignored elsewhere.
         * @return this.
         */
        public Context jobId(final long jobId)
        {
            this.jobId = jobId;
            return this;
        }

        /**
         * @return the job id rank 0 proposes, 0 for a random one.
         */
        public long jobId()
        {
            return jobId;
        }

        /**
         * @param bindHost on rank 0: the address to serve on, null (default) for every interface.
         * @return this.
         */
        public Context bindHost(final String bindHost)
        {
            this.bindHost = bindHost;
            return this;
        }

        /**
         * @return the address rank 0 serves on, null for every interface.
         */
        public String bindHost()
        {
            return bindHost;
        }

        /**
         * @param abortCheck asked about every 100 ms while waiting: an exception to end the rendezvous with (rank 0
         *                   then tells every waiting rank its message), or null to go on. E.g. a launcher's report
         *                   that a rank exited before it joined.
         * @return this.
         */
        public Context abortCheck(final Supplier<RuntimeException> abortCheck)
        {
            this.abortCheck = null == abortCheck ? () -> null : abortCheck;
            return this;
        }

        Supplier<RuntimeException> abortCheck()
        {
            return abortCheck;
        }

        /**
         * @param log where rank 0 reports refused joins (one line each); stderr by default.
         * @return this.
         */
        public Context log(final Consumer<String> log)
        {
            this.log = null == log ? line -> { } : log;
            return this;
        }

        Consumer<String> log()
        {
            return log;
        }

        /**
         * {@inheritDoc}
         */
        public String toString()
        {
            return "Rendezvous.Context{rank=" + rank + ", worldSize=" + worldSize + ", address=" + address +
                " (" + addressSource + "), secret=" + (null == secret ? "none" : "set") + ", endpoints=" +
                Arrays.toString(endpoints) + "}";
        }
    }
}

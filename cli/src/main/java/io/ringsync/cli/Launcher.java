package io.ringsync.cli;

import io.ringsync.collectives.Configuration;
import io.ringsync.collectives.ConfigurationException;
import io.ringsync.collectives.status.StatusDescriptor;
import io.ringsync.transport.PrivateDirectory;
import io.ringsync.transport.rendezvous.HostAddresses;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Starts the ranks of one job on this host and supervises them: what {@code ringsync launch} runs, usable
 * in-process (by {@code ringsync bench}, {@code ringsync demo} and tests).
 * <pre>{@code
 * final int exitCode = Launcher.builder()
 *     .np(3)
 *     .transport(LaunchTransport.SHM)
 *     .command(List.of("java", "-cp", "app.jar", "my.Trainer"))
 *     .build()
 *     .run();
 * }</pre>
 * Each rank is the same command with the environment {@code Communicator.fromEnvironment()} reads
 * (see {@link Configuration}): rank, world size, transport, a random job id, a private job directory under
 * {@code /dev/shm}, and per transport the Aeron directory of the media driver this launcher hosts (ipc), one
 * loopback UDP endpoint per rank (udp), or a rendezvous on 127.0.0.1 that rank 0 serves and a fresh job secret
 * (tcp). A {@link RankStarter} starts the ranks elsewhere instead ({@link HostsLauncher}: across hosts).
 * {@code JDK_JAVA_OPTIONS} gets the export Agrona needs, so a plain {@code java -cp ...} command works. Ranks get no standard input; their output goes to the
 * {@link OutputSink} line by line.
 * <p>
 * The job succeeds when every rank exits with 0. When a rank fails, the others get
 * min(timeout, {@value #GRACE_CAP_MS} ms) to fail on their own (their communicator names the dead rank),
 * then are terminated: SIGTERM, then SIGKILL after {@value #TERMINATE_TO_KILL_MS} ms. The job directory is
 * removed on every way out, including the launcher being interrupted or terminated (a shutdown hook also
 * stops the ranks); directories of launchers that were killed outright are removed by the next launcher.
 * <p>
 * With {@link Builder#tolerate(int) tolerate(K)}, the first K ranks that fail are only reported: the others go on
 * (an elastic job shrinks to them, {@code Communicator.shrink()}), and the job succeeds when every other rank
 * exits with 0. With {@link Builder#restart(int) restart(N)} a rank that fails while others still run is started
 * again, up to N times in the whole job, as a joiner ({@link Configuration#JOIN_ENV}: it joins the running job
 * when the others next call {@code Communicator.admit()}, which an elastic {@code ModelAverager} does); the job
 * then succeeds when the last process of every rank exits with 0. Restarts come before tolerated losses.
 */
public final class Launcher
{
    /**
     * Exit code of a job whose ranks all exited with 0.
     */
    public static final int EXIT_OK = 0;

    /**
     * Exit code of a job that failed: a rank failed, or the job could not be set up.
     */
    public static final int EXIT_FAILED = 1;

    /**
     * Exit code of a command line that could not be understood.
     */
    public static final int EXIT_USAGE = 2;

    /**
     * What a JVM needs to run Agrona 2.x on JDK 17+: it reaches {@code jdk.internal.misc.Unsafe}.
     */
    public static final String JVM_FLAGS = "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED " +
        "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED";

    /**
     * What a JVM prints on stderr when {@link #JVM_FLAGS} bring in the Vector API module.
     */
    static final String INCUBATOR_WARNING = "WARNING: Using incubator modules: jdk.incubator.vector";

    /**
     * The variable every {@code java} launcher (JDK 9+) prepends to its command line.
     */
    public static final String JDK_JAVA_OPTIONS = "JDK_JAVA_OPTIONS";

    /**
     * UDP mtu on loopback: its 64 KiB interface mtu carries the largest datagram Aeron allows.
     */
    public static final int LOOPBACK_UDP_MTU = 65504;

    /**
     * Longest wait for the other ranks to fail on their own once one has failed.
     */
    public static final long GRACE_CAP_MS = 10_000;

    /**
     * Time between SIGTERM and SIGKILL when stopping ranks.
     */
    public static final long TERMINATE_TO_KILL_MS = 2_000;

    /**
     * Longest wait for a killed process to be reaped before the launcher gives up on it.
     */
    private static final long REAP_TIMEOUT_MS = 10_000;

    /**
     * Longest wait, after the ranks exited, for the rest of their output: a grandchild may hold a pipe open.
     */
    private static final long DRAIN_TIMEOUT_MS = 5_000;

    private final int np;
    private final LaunchTransport transport;
    private final long timeoutMs;
    private final int tolerate;
    private final int restart;
    private final Map<String, String> extraEnv;
    private final Consumer<String> log;
    private final Path root;
    private final boolean verbose;
    private final long shmUsableBytes;
    private final RankStarter starter;
    private final String rendezvous;
    private final boolean serveAgreement;

    private final AtomicBoolean started = new AtomicBoolean();
    private final Object lock = new Object();
    private final Object cleanUpLock = new Object();
    private final ProcessTreeStopper stopper = new ProcessTreeStopper(TERMINATE_TO_KILL_MS, REAP_TIMEOUT_MS);
    private final RankProcesses processes;
    private final RankEnvironment rankEnvironment;
    private final RankOutput output;
    private final JobServices services = new JobServices();
    private boolean cleanedUp;
    private volatile Path jobDir;
    private volatile long jobId;
    private Thread shutdownHook;

    private Launcher(final Builder builder)
    {
        this.np = builder.np;
        this.transport = builder.transport;
        this.timeoutMs = builder.timeoutMs;
        this.tolerate = builder.tolerate;
        this.restart = builder.restart;
        this.extraEnv = Map.copyOf(builder.extraEnv);
        this.log = builder.log;
        this.root = builder.root;
        this.verbose = builder.verbose;
        this.shmUsableBytes = builder.shmUsableBytes;
        this.starter = builder.starter;
        this.rendezvous = builder.rendezvous;
        this.serveAgreement = builder.serveAgreement;
        this.processes = new RankProcesses(np);
        this.rankEnvironment = new RankEnvironment(List.copyOf(builder.command), extraEnv, builder.workingDirectory,
            starter);
        this.output = new RankOutput(builder.sink);
    }

    /**
     * @return a builder with the defaults: transport shm, output prefixed to this process' stdout and stderr.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * @return the job id, once {@link #run()} has created the job; 0 before.
     */
    public long jobId()
    {
        return jobId;
    }

    /**
     * @return the job directory, once {@link #run()} has created it (it is gone again when run returns).
     */
    public Path jobDirectory()
    {
        return jobDir;
    }

    /**
     * @return the starter of ranks elsewhere, or null.
     */
    RankStarter starterForTests()
    {
        return starter;
    }

    /**
     * @return each rank's exit code after {@link #run()}, -1 for a rank that never started or exited.
     */
    public int[] exitCodes()
    {
        return processes.exitCodes();
    }

    /**
     * Run the job to its end. May be called once.
     *
     * @return {@link #EXIT_OK} when every rank exited with 0, else {@link #EXIT_FAILED}.
     */
    public int run()
    {
        if (!started.compareAndSet(false, true))
        {
            throw new IllegalStateException("a Launcher runs one job; build another for the next");
        }
        JobDirectory.removeStale(root, log);
        try
        {
            createJobDirectory();
        }
        catch (final IOException | RuntimeException ex)
        {
            log.accept("ringsync: cannot create a job directory in " + root + ": " + ex.getMessage() +
                "; check that it exists and is writable");
            return EXIT_FAILED;
        }
        shutdownHook = new Thread(this::onShutdown, "ringsync-launcher-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try
        {
            final Map<String, String> jobEnv = new TransportSetup(np, transport, timeoutMs, rendezvous, shmUsableBytes,
                childEnv()).jobEnvironment(jobId, jobDir, services);
            if (serveAgreement && (tolerate > 0 || restart > 0))
            {
                // the survivors of a tolerated loss shrink, a restarted rank asks to rejoin: across hosts both
                // meet at this server
                serveAgreement(jobEnv);
            }
            if (verbose)
            {
                log.accept("ringsync: job " + hex(jobId) + ": " + np + " rank(s) over " + transport + " in " + jobDir);
            }
            final BlockingQueue<Integer> exits = new LinkedBlockingQueue<>();
            for (int rank = 0; rank < np; rank++)
            {
                startRank(rank, jobEnv, exits);
            }
            return supervise(exits, jobEnv);
        }
        catch (final LaunchException ex)
        {
            log.accept("ringsync: " + ex.getMessage());
            return EXIT_FAILED;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            log.accept("ringsync: launcher interrupted; stopping the job");
            return EXIT_FAILED;
        }
        finally
        {
            // an interrupted launcher must still stop its ranks and clean up, which involves waiting
            final boolean interrupted = Thread.interrupted();
            stopAll();
            output.drain(DRAIN_TIMEOUT_MS);
            cleanUp();
            if (interrupted)
            {
                Thread.currentThread().interrupt();
            }
            try
            {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
            catch (final IllegalStateException ignore)
            {
                // the JVM is already shutting down: the hook is running or has run
            }
        }
    }

    private void createJobDirectory() throws IOException
    {
        final SecureRandom random = new SecureRandom();
        for (int attempt = 0; ; attempt++)
        {
            long id = 0;
            while (id == 0)
            {
                id = random.nextLong();
            }
            try
            {
                jobDir = JobDirectory.create(root, id);
                jobId = id;
                return;
            }
            catch (final FileAlreadyExistsException ex)
            {
                if (attempt >= 3)
                {
                    throw ex;
                }
            }
        }
    }

    /**
     * Serve the job's agreement server ({@link JobAgreement}) with the job's services and tell the ranks where.
     */
    private void serveAgreement(final Map<String, String> jobEnv) throws LaunchException
    {
        final String secret = null != jobEnv.get(Configuration.JOB_SECRET_ENV) ?
            jobEnv.get(Configuration.JOB_SECRET_ENV) : childEnv().get(Configuration.JOB_SECRET_ENV);
        if (null == secret || null == rendezvous)
        {
            throw new LaunchException("a job across hosts needs a rendezvous and a job secret for its agreement " +
                "server");
        }
        final JobAgreement served = services.start("the agreement server",
            () -> JobAgreement.start(HostAddresses.host(rendezvous), secret, log));
        jobEnv.put(Configuration.AGREEMENT_ENV, served.endpoint());
    }

    private void startRank(final int rank, final Map<String, String> jobEnv, final BlockingQueue<Integer> exits)
        throws LaunchException
    {
        startRank(rank, jobEnv, exits, false);
    }

    /**
     * @param joiner whether the rank is started again, to join the running job.
     */
    private void startRank(
        final int rank, final Map<String, String> jobEnv, final BlockingQueue<Integer> exits, final boolean joiner)
        throws LaunchException
    {
        final Process process = processes.start(rank, rankEnvironment.processBuilder(rank, jobEnv, joiner),
            rankEnvironment.command());
        final byte[] input = null == starter ? null : starter.input(rank);
        try
        {
            if (null == input)
            {
                process.getOutputStream().close();
            }
            else
            {
                // kept open: its end of stream tells a rank started through a remote shell to stop
                process.getOutputStream().write(input);
                process.getOutputStream().flush();
                processes.keepInput(rank, process.getOutputStream());
            }
        }
        catch (final IOException ignore)
        {
            // the rank has already exited: nothing to close
        }
        output.follow(rank, process, rankEnvironment.jvmNotes());
        process.onExit().thenRun(() -> exits.add(rank));
    }

    /**
     * Wait for every rank, doing what the exit policy decides for each that fails; once it stops the job, give the
     * others their grace period, then stop them.
     */
    private int supervise(final BlockingQueue<Integer> exits, final Map<String, String> jobEnv)
        throws InterruptedException
    {
        final ExitPolicy policy = new ExitPolicy(np, restart, tolerate, Math.min(effectiveTimeoutMs(), GRACE_CAP_MS),
            log);
        int running = np;
        boolean terminated = false;
        while (running > 0)
        {
            final Integer rank;
            if (!policy.stopped())
            {
                rank = exits.take();
            }
            else if (!terminated)
            {
                final long remainingNs = policy.graceDeadlineNs() - System.nanoTime();
                rank = remainingNs > 0 ? exits.poll(remainingNs, TimeUnit.NANOSECONDS) : null;
                if (null == rank)
                {
                    final List<Integer> alive = runningRanks();
                    if (!alive.isEmpty())
                    {
                        log.accept("ringsync: " + ranks(alive) + " still running " + policy.graceMs() +
                            " ms after rank " + policy.firstFailed() + " failed; terminating " +
                            (alive.size() == 1 ? "it" : "them"));
                        stopProcesses(alive);
                    }
                    terminated = true;
                    continue;
                }
            }
            else
            {
                rank = exits.poll(REAP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                if (null == rank)
                {
                    log.accept("ringsync: " + ranks(runningRanks()) + " did not exit after SIGKILL; giving up on " +
                        "them");
                    break;
                }
            }
            running--;
            final int code = processes.recordExit(rank);
            if (code != 0)
            {
                reportExit(rank, code);
            }
            if (ExitPolicy.Decision.RESTART == policy.onExit(rank, code, running, this::runningRanks))
            {
                try
                {
                    startRank(rank, jobEnv, exits, true);
                    running++;
                }
                catch (final LaunchException ex)
                {
                    log.accept("ringsync: " + ex.getMessage());
                    policy.notRestarted(rank, code, this::runningRanks);
                }
            }
        }
        if (!policy.stopped())
        {
            policy.onSucceeded(jobId);
            return EXIT_OK;
        }
        log.accept("ringsync: job " + hex(jobId) + " failed; exit codes: " + processes.describeExitCodes());
        if (null != jobDir)
        {
            io.ringsync.collectives.metrics.FlightTimeline.render(io.ringsync.collectives.metrics.FlightTimeline.read(
                jobDir.toFile()), 8).forEach(line -> log.accept("ringsync: " + line));
        }
        return EXIT_FAILED;
    }

    /**
     * Tell the other ranks, through the job directory, that a rank failed: one that dies before it has connected
     * published nothing they could watch, and they would otherwise wait for it until their deadline.
     */
    private void reportExit(final int rank, final int code)
    {
        try
        {
            final Path temp = jobDir.resolve(StatusDescriptor.exitFileName(rank) + ".tmp");
            PrivateDirectory.writeFile(temp, code + "\n");
            java.nio.file.Files.move(temp, jobDir.resolve(StatusDescriptor.exitFileName(rank)),
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final IOException | RuntimeException ignore)
        {
            // best effort: the ranks still have their deadline
        }
    }

    private long effectiveTimeoutMs()
    {
        if (timeoutMs > 0)
        {
            return timeoutMs;
        }
        try
        {
            final long parsed = Configuration.timeoutMs(childEnv());
            return parsed > 0 ? parsed : Configuration.TIMEOUT_MS_DEFAULT;
        }
        catch (final ConfigurationException ignore)
        {
            // the ranks will report it, naming the variable; the launcher just keeps the default grace
            return Configuration.TIMEOUT_MS_DEFAULT;
        }
    }

    /**
     * @return the variables the ranks will see for what the launcher does not set itself.
     */
    private Map<String, String> childEnv()
    {
        final Map<String, String> env = new HashMap<>(System.getenv());
        env.putAll(extraEnv);
        return env;
    }

    private List<Integer> runningRanks()
    {
        return processes.running();
    }

    /**
     * SIGTERM to the ranks and every process they started (a rank may be a script that runs java), then
     * SIGKILL to whatever is left after {@value #TERMINATE_TO_KILL_MS} ms. Blocks until they are gone or
     * the reap timeout passes.
     */
    private void stopProcesses(final List<Integer> ranks)
    {
        if (null != starter)
        {
            // ranks started through a remote shell stop when their input ends; the signals below reach only the
            // local end (the remote shell), so give them their own way out first
            ProcessTreeStopper.awaitExit(processes.closeInputs(ranks), TERMINATE_TO_KILL_MS + 2_000);
        }
        stopper.stop(processes.markStopped(ranks));
    }

    /**
     * Stop whatever still runs: the launcher is leaving (normally everything has exited by now).
     */
    private void stopAll()
    {
        processes.refuseStarts();
        final List<Integer> alive = runningRanks();
        if (!alive.isEmpty())
        {
            log.accept("ringsync: terminating " + ranks(alive));
            stopProcesses(alive);
        }
        processes.recordExited();
    }

    /**
     * Close the job's services and remove the job directory; once, by whichever path gets here first. A second
     * caller waits until the first is done: the JVM halts as soon as the shutdown hook returns, so the hook must
     * not return while the main thread is still half-way through.
     */
    private void cleanUp()
    {
        synchronized (cleanUpLock)
        {
            synchronized (lock)
            {
                if (cleanedUp)
                {
                    return;
                }
                cleanedUp = true;
                processes.refuseStarts();
            }
            // waits for a service still starting, so the job directory goes only after its driver
            services.closeAll(log);
            if (null != starter)
            {
                processes.closeInputs();
                starter.cleanUp(jobId, log);
            }
            if (null != jobDir && !JobDirectory.deleteQuietly(jobDir) && !JobDirectory.deleteQuietly(jobDir))
            {
                log.accept("ringsync: could not remove the job directory " + jobDir + "; remove it by hand");
            }
        }
    }

    /**
     * The launcher's JVM is exiting (Ctrl-C, SIGTERM, System.exit) while the job may still run: stop the ranks,
     * then clean up, before the hook returns and the JVM halts.
     */
    private void onShutdown()
    {
        processes.refuseStarts();
        final List<Integer> alive = runningRanks();
        if (!alive.isEmpty())
        {
            log.accept("ringsync: launcher stopping; terminating " + ranks(alive));
            stopProcesses(alive);
        }
        cleanUp();
    }

    private static String ranks(final List<Integer> ranks)
    {
        return ExitPolicy.ranks(ranks);
    }

    /**
     * @param jobId a job id.
     * @return it as {@code RINGSYNC_JOB_ID} carries it: {@code 0x} and 16 hex digits.
     */
    public static String hex(final long jobId)
    {
        return String.format("0x%016x", jobId);
    }

    /**
     * Settings of a {@link Launcher}.
     */
    public static final class Builder
    {
        private int np;
        private LaunchTransport transport = LaunchTransport.SHM;
        private List<String> command = List.of();
        private long timeoutMs;
        private int tolerate;
        private int restart;
        private final Map<String, String> extraEnv = new LinkedHashMap<>();
        private OutputSink sink = OutputSink.prefixed(System.out, System.err);
        private Consumer<String> log = line ->
        {
            System.err.println(line);
            System.err.flush();
        };
        private Path root = JobDirectory.defaultRoot();
        private File workingDirectory;
        private boolean verbose;
        private long shmUsableBytes = -1;
        private RankStarter starter;
        private String rendezvous;
        private boolean serveAgreement;

        private Builder()
        {
        }

        /**
         * @param np number of ranks, at least 1.
         * @return this.
         */
        public Builder np(final int np)
        {
            this.np = np;
            return this;
        }

        /**
         * @param transport how the ranks connect; shm by default.
         * @return this.
         */
        public Builder transport(final LaunchTransport transport)
        {
            this.transport = transport;
            return this;
        }

        /**
         * @param command program and arguments every rank runs.
         * @return this.
         */
        public Builder command(final List<String> command)
        {
            this.command = null == command ? List.of() : List.copyOf(command);
            return this;
        }

        /**
         * @param timeoutMs deadline of each collective call, passed to the ranks as
         *                  {@code RINGSYNC_TIMEOUT_MS}; 0 leaves theirs alone. Also bounds the grace period.
         * @return this.
         */
        public Builder timeoutMs(final long timeoutMs)
        {
            this.timeoutMs = timeoutMs;
            return this;
        }

        /**
         * @param tolerate ranks that may fail while the job goes on (0, the default: the first failure stops the
         *                 job); the job succeeds when all the others exit with 0. At most np - 1 count.
         * @return this.
         */
        public Builder tolerate(final int tolerate)
        {
            if (tolerate < 0)
            {
                throw new IllegalArgumentException("tolerate must be >= 0, got " + tolerate);
            }
            this.tolerate = tolerate;
            return this;
        }

        /**
         * @param restart times in all that a rank which failed while others still run is started again, as a
         *                joiner of the running job (0, the default: never). Any transport on one host; across hosts
         *                tcp, the joiner asking at the agreement server ({@link #serveAgreement}).
         * @return this.
         */
        public Builder restart(final int restart)
        {
            if (restart < 0)
            {
                throw new IllegalArgumentException("restart must be >= 0, got " + restart);
            }
            this.restart = restart;
            return this;
        }

        /**
         * @param name  of a variable every rank gets, set after the launcher's own (so it may override them).
         * @param value of the variable.
         * @return this.
         */
        public Builder environment(final String name, final String value)
        {
            extraEnv.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * @param sink where the ranks' output lines go; by default to this process' stdout and stderr,
         *             prefixed with the rank.
         * @return this.
         */
        public Builder sink(final OutputSink sink)
        {
            this.sink = Objects.requireNonNull(sink, "sink");
            return this;
        }

        /**
         * @param log where the launcher's own messages go (one line each); stderr by default.
         * @return this.
         */
        public Builder log(final Consumer<String> log)
        {
            this.log = Objects.requireNonNull(log, "log");
            return this;
        }

        /**
         * @param root directory to make the job directory in; /dev/shm by default.
         * @return this.
         */
        public Builder jobRoot(final Path root)
        {
            this.root = Objects.requireNonNull(root, "root");
            return this;
        }

        /**
         * @param workingDirectory of the ranks; the launcher's by default.
         * @return this.
         */
        public Builder workingDirectory(final File workingDirectory)
        {
            this.workingDirectory = workingDirectory;
            return this;
        }

        /**
         * For tests of the pre-flight check: the free bytes of /dev/shm to assume instead of asking the file system.
         *
         * @param shmUsableBytes free bytes, or -1 (the default) to measure them.
         * @return this.
         */
        Builder shmUsableBytes(final long shmUsableBytes)
        {
            this.shmUsableBytes = shmUsableBytes;
            return this;
        }

        /**
         * @param starter starts each rank somewhere else (through a remote shell); null (default) starts them here.
         * @return this.
         */
        Builder rankStarter(final RankStarter starter)
        {
            this.starter = starter;
            return this;
        }

        /**
         * @param rendezvous {@code host:port} rank 0 serves the rendezvous on, for tcp; null (default) for
         *                   {@code 127.0.0.1} and a free port.
         * @return this.
         */
        Builder rendezvous(final String rendezvous)
        {
            this.rendezvous = rendezvous;
            return this;
        }

        /**
         * @param serveAgreement whether the launcher serves the job's agreement server ({@link JobAgreement}) when it
         *                       tolerates lost ranks or restarts them, for the ranks of a job across hosts to
         *                       shrink and rejoin; it needs the rendezvous.
         * @return this.
         */
        Builder serveAgreement(final boolean serveAgreement)
        {
            this.serveAgreement = serveAgreement;
            return this;
        }

        /**
         * @param verbose whether to log the job id and directory at start.
         * @return this.
         */
        public Builder verbose(final boolean verbose)
        {
            this.verbose = verbose;
            return this;
        }

        /**
         * @return the launcher.
         * @throws IllegalArgumentException when a setting is wrong; the message says which and how.
         */
        public Launcher build()
        {
            if (np < 1)
            {
                throw new IllegalArgumentException("--np must be at least 1, got " + np);
            }
            if (command.isEmpty() || command.get(0).isBlank())
            {
                throw new IllegalArgumentException("no command to launch; give it after --, e.g. " +
                    "ringsync launch --np 2 -- java -cp app.jar my.Main");
            }
            if (null == transport)
            {
                throw new IllegalArgumentException("no transport; use shm, tcp, ipc or udp");
            }
            if (timeoutMs < 0)
            {
                throw new IllegalArgumentException("--timeout-ms must be positive, got " + timeoutMs);
            }
            if ((restart > 0 || tolerate > 0) && null != starter && !serveAgreement)
            {
                throw new IllegalArgumentException("--restart and --tolerate across hosts need the job's agreement " +
                    "server, where ranks of different hosts agree: serveAgreement(true)");
            }
            return new Launcher(this);
        }
    }
}

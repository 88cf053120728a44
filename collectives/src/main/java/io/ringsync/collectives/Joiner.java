package io.ringsync.collectives;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@link Communicator#join(Context)}: a process that was not among a running job's ranks (a restarted rank, or a
 * new one) asks to join it and waits until the members admit it ({@link Admission}). One host only; the files are
 * described in {@link Rejoin}. It takes the lowest free ticket by linking its request there, then polls for its
 * verdict; when the deadline passes first it links {@code withdrawn} as the verdict, unless the members' rank 0
 * linked {@code admitted} before, in which case it joins after all. Admitted, it reads the round's file (mesh id,
 * job ranks, pids, the tickets in rank order) and connects its rank of the grown group.
 */
final class Joiner
{
    private static final long POLL_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private Joiner()
    {
    }

    /**
     * @param ctx concluded settings of the job: its id, transport and job directory (and the media driver's
     *            directory for ipc); the rank, when set, is this process' job rank (a restarted rank keeps its own).
     * @return the grown communicator, in which this process has a rank after the old members'.
     * @throws NotAdmittedException          when no member admitted it within the deadline.
     * @throws UnsupportedOperationException over a transport rejoining does not support.
     */
    static Communicator join(final Context ctx)
    {
        final String problem = Rejoin.transportProblem(ctx.transport());
        if (null != problem)
        {
            throw new UnsupportedOperationException("join: " + problem);
        }
        final String job = String.format("job 0x%016x (%s)", ctx.jobId(), Transports.jobDirectory(ctx));
        if (!Transports.jobDirectory(ctx).isDirectory())
        {
            throw new NotAdmittedException("join: no " + job + " runs on this host: its job directory does not " +
                "exist (" + Configuration.JOB_ID_ENV + " and " + Configuration.JOB_DIR_ENV + " must name a running " +
                "job; ringsync launch --restart sets them)");
        }
        // the job directory is this user's and private, or refused
        Transports.privateJobDirectory(ctx);
        final Path directory = Rejoin.directory(ctx);
        final long pid = ProcessHandle.current().pid();
        final long timeoutNs = ctx.timeoutNs();
        final String[] round;
        final long ticket;
        try
        {
            FileAgreement.createDirectory(directory);
            ticket = request(directory, pid, ctx.rank());
            final String verdict = awaitVerdict(directory, ticket, timeoutNs);
            if (null == verdict || !verdict.startsWith(Rejoin.VERDICT_ADMITTED + " "))
            {
                throw new NotAdmittedException("join: this process (pid " + pid + ") was not admitted to " + job +
                    " within " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms: no member called admit() while " +
                    "its request " + directory.resolve(Rejoin.request(ticket)) + " waited (an elastic ModelAverager " +
                    "calls it at its sync points; is the job still running?); the request is withdrawn");
            }
            final long first = Long.parseLong(verdict.substring(verdict.indexOf(' ') + 1).trim());
            round = awaitRound(directory.resolve(Rejoin.round(first)), timeoutNs, job);
        }
        catch (final IOException ex)
        {
            throw new RingsyncException("join: cannot ask to join " + job + " through " + directory + ": " + ex, -1,
                ex);
        }
        final int before = Integer.parseInt(round[0]);
        final long meshId = Long.parseUnsignedLong(round[1], 16);
        final int[] jobRanks = Arrays.stream(round[2].split(",")).mapToInt(Integer::parseInt).toArray();
        final long[] pids = Arrays.stream(round[3].split(",")).mapToLong(Long::parseLong).toArray();
        final long[] tickets = Arrays.stream(round[4].split(",")).mapToLong(Long::parseLong).toArray();
        int rank = -1;
        for (int i = 0; i < tickets.length; i++)
        {
            rank = tickets[i] == ticket ? before + i : rank;
        }
        if (rank < 0)
        {
            throw new RingsyncException("join: the round that admitted ticket " + ticket + " of " + job + " does " +
                "not list it: " + String.join(" ", round), -1);
        }
        final ProcessHandle[] known = new ProcessHandle[jobRanks.length];
        for (int member = 0; member < known.length; member++)
        {
            known[member] = member == rank ? null : ProcessHandle.of(pids[member]).orElse(null);
        }
        final String host = round.length > 5 && !"-".equals(round[5]) ? round[5] : null;
        final Context joining = ctx.copy();
        if (round.length > 6 && !"-".equals(round[6]))
        {
            // the members' session: the frame keys derive from it (with the job secret, which the joiner has)
            joining.sessionId(HexFormat.of().parseHex(round[6]));
        }
        if (("tcp".equals(ctx.transport()) || "udp".equals(ctx.transport())) && null == host)
        {
            throw new RingsyncException("join: the members of " + job + " do not run over " + ctx.transport() +
                " (their round names no address: " + String.join(" ", round) + "), but this joiner does: give it " +
                "the job's transport", -1);
        }
        return Rejoin.connect(joining, meshId, rank, jobRanks, known, true, host);
    }

    /**
     * Link this process' request under the lowest free ticket.
     *
     * @return the ticket.
     */
    private static long request(final Path directory, final long pid, final int jobRank) throws IOException
    {
        long ticket = 0;
        while (true)
        {
            if (!Files.exists(directory.resolve(Rejoin.request(ticket))) && FileAgreement.publishOnce(directory,
                Rejoin.request(ticket), "joiner-" + pid, pid + " " + jobRank))
            {
                return ticket;
            }
            ticket++;
        }
    }

    /**
     * @return the verdict on {@code ticket}: the members', or {@code withdrawn} when this joiner's linked first
     * after the deadline.
     */
    private static String awaitVerdict(final Path directory, final long ticket, final long timeoutNs)
        throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        final Path verdict = directory.resolve(Rejoin.verdict(ticket));
        while (true)
        {
            final String text = FileAgreement.read(verdict);
            if (null != text)
            {
                return text;
            }
            if (System.nanoTime() - deadlineNs >= 0)
            {
                // either this withdrawal or the members' verdict was linked first: read whichever it was
                FileAgreement.publishOnce(directory, Rejoin.verdict(ticket), "joiner-" +
                    ProcessHandle.current().pid(), Rejoin.VERDICT_WITHDRAWN);
                return FileAgreement.read(verdict);
            }
            LockSupport.parkNanos(POLL_PARK_NS);
        }
    }

    /**
     * @return the fields of the round's file, which the members' rank 0 writes right after its verdicts.
     */
    private static String[] awaitRound(final Path round, final long timeoutNs, final String job) throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        while (true)
        {
            final String text = FileAgreement.read(round);
            if (null != text)
            {
                return text.split(" ");
            }
            if (System.nanoTime() - deadlineNs >= 0)
            {
                throw new RingsyncException("join: admitted to " + job + ", but the members' rank 0 did not " +
                    "publish the grown group (" + round + ") within " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) +
                    " ms: it failed while admitting", 0);
            }
            LockSupport.parkNanos(POLL_PARK_NS);
        }
    }
}

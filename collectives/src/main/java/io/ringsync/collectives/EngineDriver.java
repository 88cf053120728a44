package io.ringsync.collectives;

import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Decides on which thread the {@link CallEngine} runs and lets callers wait for their calls. Until the first async
 * call, a blocking call runs the engine's duty cycle on the caller's thread through an {@link AgentInvoker}, idling
 * with the communicator's idle strategy. The first async call starts an {@link AgentRunner} thread; from then on
 * every call is queued to it, in issue order, and a blocking caller waits on its {@link Request}.
 */
final class EngineDriver
{
    private static final long BETWEEN_CALLS_MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * Longest wait of the barrier close() runs: no rank tears its links down while a peer still reads them, but a
     * job whose peers are gone does not wait a whole deadline to close.
     */
    private static final long CLOSE_TIMEOUT_CAP_NS = TimeUnit.SECONDS.toNanos(10);

    private final CallEngine engine;
    private final int rank;
    private final IdleStrategy idle;
    private final AgentInvoker invoker;
    private final IdleStrategy runnerIdle;
    private final long timeoutNs;
    private final Request blocking = new Request();
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile AgentRunner runner;

    /**
     * @param idle        how a waiting caller idles (and the progress thread, during a call).
     * @param runnerIdle  a second strategy of the same kind for the progress thread.
     * @param rank        of this communicator, for messages.
     * @param timeoutNs   deadline of every call.
     */
    EngineDriver(
        final CallEngine engine, final int rank, final long timeoutNs, final IdleStrategy idle,
        final IdleStrategy runnerIdle)
    {
        this.engine = engine;
        this.rank = rank;
        this.timeoutNs = timeoutNs;
        this.idle = idle;
        this.runnerIdle = runnerIdle;
        this.invoker = new AgentInvoker(EngineDriver::onUnexpected, null, engine);
        invoker.start();
    }

    /**
     * Run a blocking call and wait for it. The call is described in this driver's own request only once this thread
     * holds the communicator, so a thread refused for overlapping never touches the call in progress.
     *
     * @return the call's sequence number.
     * @throws IllegalStateException       when another thread is in a call on this communicator.
     * @throws CommunicatorClosedException when it is closed or failed.
     * @throws RuntimeException            the call's failure.
     */
    long call(
        final CallKind kind, final Object base, final long address, final int count, final DataType type,
        final ReduceOp op, final int root, final double weight)
    {
        enter();
        try
        {
            perform(fill(blocking, kind, base, address, count, type, op, root, weight, timeoutNs));
            return blocking.sequence;
        }
        finally
        {
            busy.set(false);
        }
    }

    /**
     * Refuse a call this rank was given a bad argument for: it still takes part, so every rank fails that same call
     * and the next one pairs as usual ({@link Refusals}); issued and waited for as a blocking call.
     *
     * @param kind   of the call.
     * @param misuse what the argument check threw.
     * @return {@code misuse}, for the caller to throw, once every rank knows the call is refused.
     * @throws RuntimeException            any other failure of the call.
     * @throws IllegalStateException       when another thread is in a call on this communicator.
     * @throws CommunicatorClosedException when it is closed or failed.
     */
    RuntimeException refuse(final CallKind kind, final RuntimeException misuse)
    {
        enter();
        try
        {
            fill(blocking, kind, null, 0, 0, null, null, -1, 0, timeoutNs).misuse = misuse;
            perform(blocking);
        }
        catch (final RuntimeException ex)
        {
            if (ex != misuse)
            {
                throw ex;
            }
        }
        finally
        {
            busy.set(false);
        }
        return misuse;
    }

    /**
     * Run a blocking weighted average and wait for it.
     *
     * @return the sum of all ranks' weights.
     */
    double weightedAverage(
        final Object base, final long address, final int count, final DataType type, final double weight)
    {
        enter();
        try
        {
            perform(fill(blocking, CallKind.WEIGHTED_AVERAGE, base, address, count, type, ReduceOp.AVG, -1, weight,
                timeoutNs));
            return blocking.weightSum;
        }
        finally
        {
            busy.set(false);
        }
    }

    /**
     * Issue a call without waiting for it: to the progress thread, started now if need be; a communicator of one
     * rank completes it at once.
     *
     * @param request the caller's request, which must not be in flight.
     * @param alone   whether the communicator has one rank.
     * @return the request.
     */
    Request async(
        final Request request, final boolean alone, final CallKind kind, final Object base, final long address,
        final int count, final DataType type, final ReduceOp op, final int root, final double weight)
    {
        if (null == request)
        {
            throw new NullPointerException("request");
        }
        enter();
        try
        {
            request.begin(kind);
            fill(request, kind, base, address, count, type, op, root, weight, timeoutNs);
            try
            {
                if (alone)
                {
                    runInline(request);
                }
                else
                {
                    submitToRunner(request);
                }
            }
            catch (final RuntimeException ex)
            {
                request.abandon();
                throw ex;
            }
        }
        finally
        {
            busy.set(false);
        }
        return request;
    }

    /**
     * Close: run the closing barrier (when the communicator is still open, with a deadline of at most
     * {@link #CLOSE_TIMEOUT_CAP_NS}; its failure is ignored, the peers were told), stop the progress thread, then
     * {@code release} the resources, whatever happened. Does nothing once closed.
     *
     * @param release what the communicator frees last.
     * @throws IllegalStateException when another thread is in a call.
     */
    void close(final Runnable release)
    {
        if (engine.isClosed())
        {
            return;
        }
        if (!busy.compareAndSet(false, true))
        {
            throw new IllegalStateException("rank " + rank + ": close() while another thread is in a call");
        }
        try
        {
            if (engine.isOpen())
            {
                try
                {
                    perform(fill(blocking, CallKind.CLOSE, null, 0, 0, DataType.FLOAT32, null, -1, 0,
                        Math.min(timeoutNs, CLOSE_TIMEOUT_CAP_NS)));
                }
                catch (final RingsyncException ignore)
                {
                    // the peers were told by the abort this failure sent; closing goes on regardless
                }
            }
            CloseHelper.quietClose(runner);
        }
        finally
        {
            // each step whatever the one before threw: the transport's files must go even then
            try
            {
                engine.close();
            }
            finally
            {
                try
                {
                    release.run();
                }
                finally
                {
                    busy.set(false);
                }
            }
        }
    }

    private static Request fill(
        final Request request, final CallKind kind, final Object base, final long address, final int count,
        final DataType type, final ReduceOp op, final int root, final double weight, final long timeoutNs)
    {
        request.kind = kind;
        request.base = base;
        request.address = address;
        request.count = count;
        request.type = type;
        request.op = op;
        request.root = root;
        request.weight = weight;
        request.timeoutNs = timeoutNs;
        request.misuse = null;
        return request;
    }

    private void enter()
    {
        if (!busy.compareAndSet(false, true))
        {
            throw new IllegalStateException("rank " + rank + ": a collective call is already in progress on this " +
                "communicator (called from another thread?); calls must not overlap");
        }
        if (!engine.isOpen())
        {
            busy.set(false);
            throw engine.closedException();
        }
    }

    /**
     * Run a call and wait for it: on this thread while no progress thread runs, else behind the calls already
     * issued to it.
     */
    private void perform(final Request request)
    {
        request.begin(request.kind);
        if (null == runner)
        {
            runInline(request);
        }
        else
        {
            submitToRunner(request);
        }
        request.await();
    }

    private void runInline(final Request request)
    {
        // no progress thread, so nothing is queued: start the call at once, without the queue's hand-off
        engine.startNow(request);
        idle.reset();
        while (!request.isDone())
        {
            idle.idle(invoker.invoke());
        }
    }

    private void submitToRunner(final Request request)
    {
        AgentRunner agentRunner = runner;
        if (null == agentRunner)
        {
            // between calls the thread parks up to a millisecond; the unpark below wakes it for the next one
            final IdleStrategy between = new BackoffIdleStrategy(100, 1_000, TimeUnit.MICROSECONDS.toNanos(1),
                BETWEEN_CALLS_MAX_PARK_NS);
            agentRunner = new AgentRunner(new CallAwareIdleStrategy(engine, runnerIdle, between),
                EngineDriver::onUnexpected, null, engine);
            // named after the engine's role by the runner; a daemon, so a forgotten close() does not hold the JVM
            AgentRunner.startOnThread(agentRunner, (runnable) ->
            {
                final Thread thread = new Thread(runnable);
                thread.setDaemon(true);
                return thread;
            });
            runner = agentRunner;
        }
        engine.submit(request);
        LockSupport.unpark(agentRunner.thread());
    }

    private static void onUnexpected(final Throwable throwable)
    {
        // the engine completes every call with its own failure; what reaches here is a bug worth seeing
        System.err.println("ringsync: unexpected error in the call engine: " + throwable);
        throwable.printStackTrace();
    }

    /**
     * The progress thread's idle strategy: the communicator's own while a call runs or waits, a longer park
     * between calls so an idle communicator costs no core.
     */
    private static final class CallAwareIdleStrategy implements IdleStrategy
    {
        private final CallEngine engine;
        private final IdleStrategy inCall;
        private final IdleStrategy betweenCalls;

        CallAwareIdleStrategy(final CallEngine engine, final IdleStrategy inCall, final IdleStrategy betweenCalls)
        {
            this.engine = engine;
            this.inCall = inCall;
            this.betweenCalls = betweenCalls;
        }

        public void idle(final int workCount)
        {
            (engine.isBusy() ? inCall : betweenCalls).idle(workCount);
        }

        public void idle()
        {
            (engine.isBusy() ? inCall : betweenCalls).idle();
        }

        public void reset()
        {
            inCall.reset();
            betweenCalls.reset();
        }
    }
}

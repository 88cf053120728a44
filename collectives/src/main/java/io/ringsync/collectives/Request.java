package io.ringsync.collectives;

import org.agrona.concurrent.BackoffIdleStrategy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A collective call issued without waiting for it ({@code allReduceAsync}, {@code weightedAverageAsync},
 * {@code broadcastAsync}): poll it with {@link #isDone()}, wait for it with {@link #await()} or
 * {@link #await(long, TimeUnit)}, or compose it with {@link #toCompletableFuture()}.
 * <p>
 * Why our own handle rather than a {@link CompletableFuture}: a trainer that averages many times a second should
 * not allocate per call. A {@code Request} can be made once ({@code new Request()}) and passed to every call;
 * the overloads without one allocate a fresh request, which is simpler when a few bytes per call do not matter.
 * A {@link CompletableFuture} view is made on demand for code that composes.
 * <p>
 * Life cycle: idle, then in flight once a call is issued with it, then done when the call has completed or
 * failed. {@link #await()} returns (or throws the call's exception) once and makes the request idle again; a
 * second {@code await()} on it, with no new call in between, is an {@link IllegalStateException}: the result
 * was already collected. A request still in flight cannot be passed to another call. The vector of the call
 * belongs to ringsync until the request is done: reading or writing it meanwhile gives undefined values (never
 * a crash).
 * <p>
 * Threading: any one thread may wait on a request; {@link #isDone()} may be called from any thread.
 */
public final class Request
{
    static final int IDLE = 0;
    static final int IN_FLIGHT = 1;
    static final int DONE = 2;

    private static final int AWAIT_SPINS = 200;
    private static final int AWAIT_YIELDS = 200;
    private static final long AWAIT_MAX_PARK_NS = TimeUnit.MICROSECONDS.toNanos(500);

    // the call, written by the issuing thread before the request is queued
    CallKind kind;
    Object base;
    long address;
    int count;
    DataType type;
    ReduceOp op;
    int root;
    double weight;
    long timeoutNs;
    RuntimeException misuse; // a bad argument of this rank's: the call is refused on every rank (Refusals)

    // set by the engine when the call starts
    long sequence;
    boolean narrowWire;
    double requestedWeight;

    // the outcome, written by the thread that ran the call before the state turns DONE
    double weightSum;
    RuntimeException failure;

    private static final VarHandle STATE;

    static
    {
        try
        {
            STATE = MethodHandles.lookup().findVarHandle(Request.class, "state", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    // complete() stores DONE with a full fence: it then reads waiter, which a waiter sets before reading state
    private volatile int state = IDLE;
    private volatile Thread waiter;
    private volatile CompletableFuture<Request> future;
    // a waiter spins, yields, then parks until the thread running the call unparks it
    private final BackoffIdleStrategy awaitIdle = new BackoffIdleStrategy(
        AWAIT_SPINS, AWAIT_YIELDS, TimeUnit.MICROSECONDS.toNanos(1), AWAIT_MAX_PARK_NS);

    /**
     * A request to pass to the async calls that take one, reusable once each call is done and awaited.
     */
    public Request()
    {
    }

    /**
     * @return true once the call has completed or failed (and until {@link #await()} collects it).
     */
    public boolean isDone()
    {
        return state == DONE;
    }

    /**
     * @return true while a call issued with this request has not completed.
     */
    public boolean isInFlight()
    {
        return state == IN_FLIGHT;
    }

    /**
     * Wait until the call completes. Never waits forever: every call fails at the communicator's deadline
     * ({@code RINGSYNC_TIMEOUT_MS}) counted from when it starts running, after the calls issued before it.
     *
     * @throws RingsyncException     the call's failure, as the blocking call would have thrown it.
     * @throws IllegalArgumentException as the blocking call would (all weights 0 in a weighted average).
     * @throws IllegalStateException when no call is in flight or done on this request: never issued, or
     *                               already awaited.
     */
    public void await()
    {
        if (!await(Long.MAX_VALUE))
        {
            throw new IllegalStateException("unreachable: an unbounded wait returned early");
        }
    }

    /**
     * Wait at most {@code timeout} for the call to complete.
     *
     * @param timeout how long to wait.
     * @param unit    of {@code timeout}.
     * @return true when the call completed (the result is collected, as by {@link #await()}), false when it is
     * still in flight after the timeout (wait again later).
     * @throws RingsyncException     the call's failure.
     * @throws IllegalStateException when no call is in flight or done on this request.
     */
    public boolean await(final long timeout, final TimeUnit unit)
    {
        return await(unit.toNanos(timeout));
    }

    /**
     * The sum of all ranks' weights of a completed weighted average (the same on every rank).
     *
     * @return the weight sum of the last weighted average made with this request, 0 for other calls.
     */
    public double weightSum()
    {
        return weightSum;
    }

    /**
     * A future completed with this request when the call completes, or exceptionally with its failure. Made on
     * the first call (it allocates); waiting on the future does not collect the request, so the request can be
     * reused for a new call only after {@link #await()} or once the future is complete.
     *
     * @return the future.
     */
    public CompletableFuture<Request> toCompletableFuture()
    {
        CompletableFuture<Request> f = future;
        if (null == f)
        {
            synchronized (this)
            {
                f = future;
                if (null == f)
                {
                    f = new CompletableFuture<>();
                    future = f;
                }
            }
        }
        if (state == DONE)
        {
            completeFuture(f);
        }
        return f;
    }

    private boolean await(final long timeoutNs)
    {
        final int s = state;
        if (s == IDLE)
        {
            throw new IllegalStateException("no call is in flight on this request: it was never issued, or its " +
                "result was already collected by an earlier await()");
        }
        if (s != DONE && !waitForDone(timeoutNs))
        {
            return false;
        }
        // only the thread that collects or reissues the request reads this: ordering suffices, no fence
        STATE.setRelease(this, IDLE);
        final RuntimeException ex = failure;
        if (null != ex)
        {
            throw ex;
        }
        return true;
    }

    private boolean waitForDone(final long timeoutNs)
    {
        final long startNs = System.nanoTime();
        awaitIdle.reset();
        waiter = Thread.currentThread();
        try
        {
            while (state != DONE)
            {
                if (System.nanoTime() - startNs >= timeoutNs)
                {
                    return false;
                }
                awaitIdle.idle();
            }
            return true;
        }
        finally
        {
            waiter = null;
        }
    }

    /**
     * Called by the issuing thread before the request is queued or run.
     */
    void begin(final CallKind kind)
    {
        if (state == IN_FLIGHT)
        {
            throw new IllegalStateException("this request is still in flight: wait for it before reusing it");
        }
        this.kind = kind;
        this.failure = null;
        this.weightSum = 0;
        if (null != future)
        {
            this.future = null;
        }
        // published to the thread that runs the call by the queue's hand-off, or it is this very thread
        STATE.setRelease(this, IN_FLIGHT);
    }

    /**
     * Called by the thread that ran the call.
     */
    void complete(final RuntimeException failure)
    {
        this.failure = failure;
        this.base = null;
        state = DONE;
        final Thread w = waiter;
        if (null != w)
        {
            LockSupport.unpark(w);
        }
        final CompletableFuture<Request> f = future;
        if (null != f)
        {
            completeFuture(f);
        }
    }

    /**
     * Return to idle without a result, when the call could not even be issued.
     */
    void abandon()
    {
        base = null;
        state = IDLE;
    }

    private void completeFuture(final CompletableFuture<Request> f)
    {
        final RuntimeException ex = failure;
        if (null == ex)
        {
            f.complete(this);
        }
        else
        {
            f.completeExceptionally(ex);
        }
    }
}

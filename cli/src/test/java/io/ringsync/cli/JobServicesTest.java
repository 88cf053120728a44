package io.ringsync.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class JobServicesTest
{
    @Test
    void closesNewestFirstAndGoesOnPastAFailure() throws Exception
    {
        final List<String> closed = new ArrayList<>();
        final List<String> log = new ArrayList<>();
        final JobServices services = new JobServices();
        services.start("the driver", () -> () -> closed.add("driver"));
        services.start("the broken one", () -> () ->
        {
            closed.add("broken");
            throw new IllegalStateException("disk gone");
        });
        services.start("the agreement server", () -> () -> closed.add("agreement"));

        services.closeAll(log::add);
        services.closeAll(log::add);

        assertEquals(List.of("agreement", "broken", "driver"), closed);
        assertEquals(List.of("ringsync: closing the broken one failed: java.lang.IllegalStateException: disk gone"),
            log);
    }

    @Test
    void refusesAStartAfterTheClose()
    {
        final JobServices services = new JobServices();
        services.closeAll(message -> { });
        final LaunchException ex = assertThrows(LaunchException.class,
            () -> services.start("the media driver", () -> () -> { }));
        assertEquals("stopped while starting the media driver", ex.getMessage());
    }

    @Test
    void aStarterFailingKeepsNothing() throws Exception
    {
        final List<String> closed = new ArrayList<>();
        final JobServices services = new JobServices();
        assertThrows(IllegalStateException.class, () -> services.start("the driver", () ->
        {
            throw new IllegalStateException("no space");
        }));
        services.start("the agreement server", () -> () -> closed.add("agreement"));
        services.closeAll(message -> { });
        assertEquals(List.of("agreement"), closed);
    }

    @Test
    void theCloseWaitsForAServiceStillStarting() throws Exception
    {
        final JobServices services = new JobServices();
        final CountDownLatch starting = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> events = new ArrayList<>();
        final Thread starter = new Thread(() ->
        {
            try
            {
                services.start("the driver", () ->
                {
                    starting.countDown();
                    awaitQuietly(release);
                    synchronized (events)
                    {
                        events.add("started");
                    }
                    return () ->
                    {
                        synchronized (events)
                        {
                            events.add("closed");
                        }
                    };
                });
            }
            catch (final LaunchException ex)
            {
                throw new AssertionError(ex);
            }
        });
        starter.start();
        assertTrue(starting.await(10, TimeUnit.SECONDS));
        final Thread closer = new Thread(() -> services.closeAll(message -> { }));
        closer.start();
        Thread.sleep(100);
        synchronized (events)
        {
            assertEquals(List.of(), events, "the close went ahead of a service still starting");
        }
        release.countDown();
        starter.join(10_000);
        closer.join(10_000);
        synchronized (events)
        {
            assertEquals(List.of("started", "closed"), events);
        }
    }

    private static void awaitQuietly(final CountDownLatch latch)
    {
        try
        {
            latch.await(10, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}

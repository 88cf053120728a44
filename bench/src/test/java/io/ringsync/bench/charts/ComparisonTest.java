package io.ringsync.bench.charts;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ComparisonTest
{
    private static final String HEADER =
        "round,system,bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps";

    /** Three rounds of ringsync shm and Open MPI, two of Gloo, at two sizes and np 2; one np 4 row. */
    private static final String COMBINED = String.join("\n",
        HEADER,
        "1,ringsync,4096,float32,2,shm,ring,1000,3.0,9.0,3.5,1.1,1.1",
        "1,ringsync,1048576,float32,2,shm,ring,500,500.0,700.0,510.0,2.0,2.0",
        "1,openmpi,4096,float32,2,openmpi,default,1000,2.0,3.0,2.1,1.9,1.9",
        "1,openmpi,1048576,float32,2,openmpi,default,500,400.0,600.0,410.0,2.5,2.5",
        "1,gloo,4096,float32,2,gloo-tcp,default,100,300.0,4000.0,350.0,0.01,0.01",
        "2,ringsync,4096,float32,2,shm,ring,1000,1.0,5.0,1.2,3.3,3.3",
        "2,ringsync,1048576,float32,2,shm,ring,500,520.0,720.0,530.0,1.9,1.9",
        "2,openmpi,4096,float32,2,openmpi,default,1000,4.0,5.0,4.1,1.0,1.0",
        "2,openmpi,1048576,float32,2,openmpi,default,500,380.0,640.0,390.0,2.6,2.6",
        "2,gloo,4096,float32,2,gloo-tcp,default,100,340.0,3000.0,360.0,0.02,0.02",
        "3,ringsync,4096,float32,2,shm,ring,1000,2.0,7.0,2.2,2.2,2.2",
        "3,ringsync,1048576,float32,2,shm,ring,500,480.0,680.0,490.0,2.1,2.1",
        "3,openmpi,4096,float32,2,openmpi,default,1000,3.0,4.0,3.1,1.3,1.3",
        "3,openmpi,1048576,float32,2,openmpi,default,500,420.0,620.0,430.0,2.4,2.4",
        "1,ringsync,4096,float32,4,shm,ring,1000,20.0,90.0,25.0,0.2,0.3",
        "");

    private static final Series RINGSYNC_SHM = new Series("ringsync", "shm", 2, "float32");
    private static final Series OPENMPI = new Series("openmpi", "openmpi", 2, "float32");
    private static final Series GLOO = new Series("gloo", "gloo-tcp", 2, "float32");

    @Test
    void readsEveryRowWithItsRoundAndSystem() throws IOException
    {
        final List<ResultRow> rows = CombinedCsv.parse(new StringReader(COMBINED), "test");

        assertEquals(15, rows.size());
        assertEquals(new ResultRow(2, "gloo", 4096, "float32", 2, "gloo-tcp", "default", 100,
            340.0, 3000.0, 360.0, 0.02, 0.02), rows.get(9));
    }

    @Test
    void foldsRoundsIntoMediansAndKeepsTheSpread() throws IOException
    {
        final Comparison comparison = new Comparison(CombinedCsv.parse(new StringReader(COMBINED), "test"));

        final Comparison.Point small = comparison.point(RINGSYNC_SHM, 4096);
        assertEquals(3, small.rounds());
        assertEquals(2.0, small.p50Us());
        assertEquals(7.0, small.p99Us());
        assertEquals(2.2, small.meanUs());
        assertEquals(2.2, small.busbwGBps());
        assertEquals(1.0, small.p50MinUs());
        assertEquals(3.0, small.p50MaxUs());

        // two rounds: the mean of the two middle values
        final Comparison.Point gloo = comparison.point(GLOO, 4096);
        assertEquals(2, gloo.rounds());
        assertEquals(320.0, gloo.p50Us());
        assertEquals(3500.0, gloo.p99Us());
        assertNull(comparison.point(GLOO, 1048576));

        assertEquals(List.of(4096L, 1048576L), comparison.sizes());
        assertEquals(List.of(RINGSYNC_SHM, OPENMPI, GLOO), comparison.seriesOf(2, "float32"));
        assertEquals(2, comparison.groups().size());
    }

    @Test
    void ratiosAreOfTheMedians() throws IOException
    {
        final Comparison comparison = new Comparison(CombinedCsv.parse(new StringReader(COMBINED), "test"));

        assertEquals(2.0 / 3.0, comparison.ratio(RINGSYNC_SHM, OPENMPI, 4096, Comparison.Metric.P50), 1e-12);
        assertEquals(500.0 / 400.0, comparison.ratio(RINGSYNC_SHM, OPENMPI, 1048576, Comparison.Metric.P50), 1e-12);
        assertEquals(700.0 / 620.0, comparison.ratio(RINGSYNC_SHM, OPENMPI, 1048576, Comparison.Metric.P99), 1e-12);
        assertEquals(2.0 / 320.0, comparison.ratio(RINGSYNC_SHM, GLOO, 4096, Comparison.Metric.P50), 1e-12);
        assertTrue(Double.isNaN(comparison.ratio(RINGSYNC_SHM, GLOO, 1048576, Comparison.Metric.P50)));
        // best rounds: 1.0 (round 2) against 2.0 (round 1)
        assertEquals(0.5, comparison.ratio(RINGSYNC_SHM, OPENMPI, 4096, Comparison.Metric.BEST_P50), 1e-12);
    }

    @Test
    void medianOfOddAndEvenCounts()
    {
        assertEquals(5.0, Comparison.median(new double[] { 9.0, 1.0, 5.0 }));
        assertEquals(4.0, Comparison.median(new double[] { 9.0, 1.0, 3.0, 5.0 }));
        assertEquals(7.5, Comparison.median(new double[] { 7.5 }));
        assertThrows(IllegalArgumentException.class, () -> Comparison.median(new double[0]));
    }

    @Test
    void tablesShowRatiosPerTransportAndPeer() throws IOException
    {
        final String tables = SummaryTables.markdown(
            new Comparison(CombinedCsv.parse(new StringReader(COMBINED), "test")));

        assertTrue(tables.contains("| 2 | float32 | shm | Open MPI | 0.67 | 1.25 |"), tables);
        assertTrue(tables.contains("| 2 | float32 | shm | Gloo | 0.00625 | - |"), tables);
        assertTrue(tables.contains("| 2 | float32 | ringsync shm | 4 KiB | 3 | 2.00 | 1.00 - 3.00 | 7.00 | 2.20 | 2.200 |"),
            tables);
    }

    @Test
    void readsTheOlderFilesWithoutASystemColumnAndIgnoresExtraColumns() throws IOException
    {
        final String older = String.join("\n",
            "round,bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps,rss_kib",
            "1,4096,float32,2,ipc,ring,100,1.3,1073.2,5.0,0.8,0.8,12345",
            "1,4096,float32,2,openmpi,default,100,1.1,2.0,1.2,3.4,3.4,999");
        final List<ResultRow> rows = CombinedCsv.parse(new StringReader(older), "older");

        assertEquals("ringsync", rows.get(0).system());
        assertEquals("openmpi", rows.get(1).system());
        assertEquals(1073.2, rows.get(0).p99Us());
    }

    @Test
    void badInputNamesTheLineAndTheColumn()
    {
        final IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
            () -> CombinedCsv.parse(new StringReader("round,bytes,type\n1,4,float32\n"), "a.csv"));
        assertTrue(missing.getMessage().startsWith("a.csv:1: the header lacks [np, transport"), missing.getMessage());

        final IllegalArgumentException notANumber = assertThrows(IllegalArgumentException.class,
            () -> CombinedCsv.parse(new StringReader(HEADER + "\n1,ringsync,4096,float32,2,shm,ring,10,fast,1,1,1,1\n"),
            "b.csv"));
        assertEquals("b.csv:2: column 'p50_us' is 'fast', not a number", notANumber.getMessage());

        final IllegalArgumentException shortRow = assertThrows(IllegalArgumentException.class,
            () -> CombinedCsv.parse(new StringReader(HEADER + "\n1,ringsync,4096\n"), "c.csv"));
        assertTrue(shortRow.getMessage().startsWith("c.csv:2: 3 cells, the header has 13"), shortRow.getMessage());

        final IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
            () -> CombinedCsv.parse(new StringReader("# only a comment\n"), "d.csv"));
        assertTrue(empty.getMessage().startsWith("d.csv: no header line"), empty.getMessage());

        final IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
            () -> CombinedCsv.parse(new StringReader(HEADER + "\n1,ringsync,4096,float32,2,shm,ring,10,-1,1,1,1,1\n"),
            "e.csv"));
        assertEquals("e.csv:2: column 'p50_us' is -1, expected a finite value >= 0", negative.getMessage());
    }

    @Test
    void sizesAndRatiosReadWell()
    {
        assertEquals("4 KiB", SummaryTables.size(4096));
        assertEquals("16 MiB", SummaryTables.size(16L << 20));
        assertEquals("1000 B", SummaryTables.size(1000));
        assertEquals("4 B", SummaryTables.size(4));
        assertEquals("0.67", SummaryTables.ratio(2.0 / 3.0));
        assertEquals("0.0420", SummaryTables.ratio(0.042));
    }

    @Test
    void writesTablesAndOnePngPerChart(@TempDir final Path dir) throws IOException
    {
        final Path csv = dir.resolve("combined.csv");
        Files.writeString(csv, COMBINED);

        final List<Path> written = ChartMain.write(csv, dir.resolve("out"), "png", "test");

        assertEquals(List.of("tables.md", "latency-np2.png", "busbw-np2.png", "latency-np4.png", "busbw-np4.png"),
            written.stream().map(p -> p.getFileName().toString()).toList());
        for (final Path png : written.subList(1, written.size()))
        {
            final byte[] bytes = Files.readAllBytes(png);
            assertTrue(bytes.length > 1000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', png.toString());
        }
    }
}

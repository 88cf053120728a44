package io.ringsync.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class ParsersTest
{
    @TempDir
    Path dir;

    private Path write(final String name, final String text) throws IOException
    {
        return Files.writeString(dir.resolve(name), text);
    }

    @Test
    void libsvmLinesParse() throws IOException
    {
        final Path file = write("a.svm", "# header\n+1 3:0.5 10:2 # note\n\n-1 1:1 qid:4\n0 8:-3e-1\n");
        final SparseShard shard = SparseFormats.read(file, SparseFormats.Format.LIBSVM, 8);
        assertEquals(3, shard.size());
        assertEquals(1f, shard.label(0));
        assertEquals(2, shard.end(0) - shard.start(0));
        assertEquals(2, shard.indices()[shard.start(0)]);
        assertEquals(0.5f, shard.values()[shard.start(0)]);
        assertEquals(1, shard.indices()[shard.start(0) + 1], "index 10 folds into (10 - 1) mod 8 = 1");
        assertEquals(2f, shard.values()[shard.start(0) + 1]);
        assertEquals(0f, shard.label(1));
        assertEquals(1, shard.end(1) - shard.start(1), "qid is not a feature");
        assertEquals(0, shard.indices()[shard.start(1)]);
        assertEquals(0f, shard.label(2));
        assertEquals(7, shard.indices()[shard.start(2)]);
        assertEquals(-0.3f, shard.values()[shard.start(2)]);
        assertEquals(1f, shard.weight(2));
    }

    @Test
    void badLibsvmLinesNameFileAndLine() throws IOException
    {
        assertBad("1 1:1\n2 1:1\n", SparseFormats.Format.LIBSVM, ":2: label 2 is not binary");
        assertBad("1 a:1\n", SparseFormats.Format.LIBSVM, ":1: feature index 'a' in 'a:1' is not an integer");
        assertBad("\n1 0:1\n", SparseFormats.Format.LIBSVM, ":2: feature index 0 in '0:1': LIBSVM indices start at 1");
        assertBad("1 3\n", SparseFormats.Format.LIBSVM, ":1: '3' is not index:value");
        assertBad("1 3:x\n", SparseFormats.Format.LIBSVM, ":1: value 'x' in '3:x' is not a number");
        assertBad("1 3:NaN\n", SparseFormats.Format.LIBSVM, ":1: value 'NaN' in '3:NaN' is not finite");
        assertBad("yes 3:1\n", SparseFormats.Format.LIBSVM, ":1: label 'yes' is not a number");
        assertBad("# nothing\n", SparseFormats.Format.LIBSVM, ": holds no examples");
        final DataFileException missing = assertThrows(DataFileException.class,
            () -> SparseFormats.read(dir.resolve("absent.svm"), SparseFormats.Format.LIBSVM, 8));
        assertTrue(missing.getMessage().endsWith("absent.svm: no such file"), missing.getMessage());
    }

    @Test
    void vwLinesParse() throws IOException
    {
        final int d = 1 << 20;
        final Path file = write("a.vw", "1 2.0 'doc7|a x:2 y |b z\n-1 | w\n0 tag|ns:0.5 f:4\n");
        final SparseShard shard = SparseFormats.read(file, SparseFormats.Format.VW, d);
        assertEquals(3, shard.size());
        assertEquals(1f, shard.label(0));
        assertEquals(2f, shard.weight(0));
        assertEquals(3, shard.end(0) - shard.start(0));
        assertEquals(SparseFormats.vwFeature("a", "x", d), shard.indices()[0]);
        assertEquals(2f, shard.values()[0]);
        assertEquals(SparseFormats.vwFeature("a", "y", d), shard.indices()[1]);
        assertEquals(1f, shard.values()[1]);
        assertEquals(SparseFormats.vwFeature("b", "z", d), shard.indices()[2]);
        assertEquals(0f, shard.label(1));
        assertEquals(SparseFormats.vwFeature("", "w", d), shard.indices()[shard.start(1)]);
        assertEquals(1f, shard.weight(2), "a lone non-numeric second token is a tag");
        assertEquals(SparseFormats.vwFeature("ns", "f", d), shard.indices()[shard.start(2)]);
        assertEquals(2f, shard.values()[shard.start(2)], "namespace scale 0.5 times value 4");
        assertTrue(SparseFormats.vwFeature("a", "x", d) != SparseFormats.vwFeature("b", "x", d));
    }

    @Test
    void badVwLinesNameFileAndLine() throws IOException
    {
        assertBad("1 |a x\n1 x y\n", SparseFormats.Format.VW, ":2: no '|'");
        assertBad("|a x\n", SparseFormats.Format.VW, ":1: no label before the first '|'");
        assertBad("3 |a x\n", SparseFormats.Format.VW, ":1: label 3 is not binary");
        assertBad("1 |a x:abc\n", SparseFormats.Format.VW, ":1: value 'abc' in 'x:abc' is not a number");
        assertBad("1 -2 |a x\n", SparseFormats.Format.VW, ":1: importance -2 must be a finite number >= 0");
        assertBad("1 |a :3\n", SparseFormats.Format.VW, ":1: feature ':3' has no name");
    }

    @Test
    void pointFilesParseAndRejectBadLines() throws IOException
    {
        final DensePoints points = PointFiles.read(write("p.csv", "# x,y\n1, 2\n3\t4\n\n-5.5,6e1\n"));
        assertEquals(2, points.dimension());
        assertEquals(3, points.count());
        assertEquals(-5.5f, points.get(2, 0));
        assertEquals(60f, points.get(2, 1));
        assertBadPoints("1 2\n3 4 5\n", ":2: has 3 coordinates, but the first point has 2");
        assertBadPoints("1 2\n3 x\n", ":2: 'x' is not a number");
        assertBadPoints("1 Infinity\n", ":1: 'Infinity' is not finite");
        assertBadPoints("\n", ": holds no points");
    }

    private void assertBad(final String text, final SparseFormats.Format format, final String expected)
        throws IOException
    {
        final Path file = write("bad", text);
        final DataFileException ex = assertThrows(DataFileException.class, () -> SparseFormats.read(file, format, 8));
        assertEquals(file + expected.substring(0, expected.indexOf(' ') < 0 ? expected.length() : 0),
            ex.getMessage().substring(0, file.toString().length() + (expected.indexOf(' ') < 0 ? expected.length() : 0)));
        assertTrue(ex.getMessage().startsWith(file + expected), ex.getMessage() + " should start with " + file +
            expected);
    }

    private void assertBadPoints(final String text, final String expected) throws IOException
    {
        final Path file = write("bad.txt", text);
        final DataFileException ex = assertThrows(DataFileException.class, () -> PointFiles.read(file));
        assertTrue(ex.getMessage().startsWith(file + expected), ex.getMessage() + " should start with " + file +
            expected);
    }
}

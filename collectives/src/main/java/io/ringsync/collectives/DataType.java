package io.ringsync.collectives;

/**
 * Element type of a vector: little-endian IEEE 754 floats.
 */
public enum DataType
{
    /**
     * IEEE 754 binary32, 4 bytes.
     */
    FLOAT32(4),

    /**
     * IEEE 754 binary64, 8 bytes.
     */
    FLOAT64(8);

    private final int byteSize;

    DataType(final int byteSize)
    {
        this.byteSize = byteSize;
    }

    /**
     * @return bytes per element.
     */
    public int byteSize()
    {
        return byteSize;
    }

    /**
     * @return log2 of {@link #byteSize()}: element index to byte offset is {@code index << shift()}.
     */
    int shift()
    {
        return this == FLOAT32 ? 2 : 3;
    }
}

package io.tokvec.serde;

/**
 * One thread's arrays for serialized records, by exact length: a Kafka {@code Serializer} must return a
 * {@code byte[]} exactly as long as the record, and the producer copies it into its batch before
 * {@code send} returns, so a thread that serializes one record at a time can hand out the same array
 * again for its next record of that length instead of a fresh one (a fresh 66 KB array is zeroed by the
 * JVM, then written, and later collected). Lengths are kept until {@code maxBytes} of arrays are held;
 * longer-tail lengths then get fresh arrays. Not thread-safe: one instance per thread.
 */
final class OutputArrays {

    private final long maxBytes;
    private int[] lengths = new int[64]; // open addressing; 0 = free slot
    private byte[][] arrays = new byte[64][];
    private int count;
    private long bytes;

    OutputArrays(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** An array of exactly {@code length} bytes (contents undefined): a kept one, or a fresh one. */
    byte[] get(int length) {
        int mask = lengths.length - 1;
        int i = mix(length) & mask;
        while (lengths[i] != 0) {
            if (lengths[i] == length) {
                return arrays[i];
            }
            i = (i + 1) & mask;
        }
        byte[] a = new byte[length];
        if (bytes + length <= maxBytes) {
            lengths[i] = length;
            arrays[i] = a;
            bytes += length;
            if (++count * 2 > lengths.length) {
                grow();
            }
        }
        return a;
    }

    /** Bytes of the arrays kept. */
    long bytes() {
        return bytes;
    }

    private void grow() {
        int[] oldLengths = lengths;
        byte[][] oldArrays = arrays;
        lengths = new int[oldLengths.length * 2];
        arrays = new byte[oldLengths.length * 2][];
        int mask = lengths.length - 1;
        for (int j = 0; j < oldLengths.length; j++) {
            if (oldLengths[j] != 0) {
                int i = mix(oldLengths[j]) & mask;
                while (lengths[i] != 0) {
                    i = (i + 1) & mask;
                }
                lengths[i] = oldLengths[j];
                arrays[i] = oldArrays[j];
            }
        }
    }

    private static int mix(int x) {
        int h = x * 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}

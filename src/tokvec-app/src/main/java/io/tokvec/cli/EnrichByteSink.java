package io.tokvec.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * An unsynchronised output buffer ({@link java.io.BufferedOutputStream} locks on every call, and
 * the enrich output is written a few bytes at a time). {@link #flush} pushes the bytes to the
 * stream and flushes it; nothing here closes the stream.
 */
final class EnrichByteSink {

    private final OutputStream out;
    private final byte[] buf;
    private int n;
    /** Bytes handed to the stream so far. */
    private long drained;

    EnrichByteSink(OutputStream out, int size) {
        this.out = out;
        this.buf = new byte[size];
    }

    void write(int b) throws IOException {
        if (n == buf.length) {
            drain();
        }
        buf[n++] = (byte) b;
    }

    void write(byte[] b) throws IOException {
        write(b, 0, b.length);
    }

    void write(byte[] b, int off, int len) throws IOException {
        if (len > buf.length - n) {
            drain();
            if (len > buf.length) {
                out.write(b, off, len);
                drained += len;
                return;
            }
        }
        System.arraycopy(b, off, buf, n, len);
        n += len;
    }

    /** Copies the bytes written since {@code mark} (a value of {@link #position()}), or null if they left the buffer. */
    byte[] copySince(long mark) {
        return mark >= drained ? Arrays.copyOfRange(buf, (int) (mark - drained), n) : null;
    }

    /** Number of bytes written so far. */
    long position() {
        return drained + n;
    }

    /** Makes room for {@code len} bytes now, so that a following {@link #copySince} sees them all. */
    void reserve(int len) throws IOException {
        if (len > buf.length - n) {
            drain();
        }
    }

    private void drain() throws IOException {
        out.write(buf, 0, n);
        drained += n;
        n = 0;
    }

    void flush() throws IOException {
        drain();
        out.flush();
    }
}

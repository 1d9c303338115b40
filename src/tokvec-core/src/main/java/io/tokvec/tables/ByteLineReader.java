package io.tokvec.tables;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Streams the lines of a file as raw bytes, so that callers decode exactly what they need and can
 * name the line of a problem. A line ends at {@code '\n'}, which is not part of it; a last line
 * without {@code '\n'} still counts, and a final {@code '\n'} does not start an empty last line
 * ({@code "a\nb\n"} and {@code "a\nb"} both have the two lines {@code a} and {@code b}).
 */
final class ByteLineReader implements Closeable {

    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int limit;
    private boolean eof;

    private byte[] line = new byte[256];
    private int length;
    private long lineNumber;
    private long offset;
    private long lineOffset;

    ByteLineReader(InputStream in) {
        this.in = in;
    }

    /** Advances to the next line; false at the end of the input. */
    boolean next() throws IOException {
        length = 0;
        lineOffset = offset;
        boolean any = false;
        while (true) {
            if (pos == limit) {
                if (!fill()) {
                    if (!any) {
                        return false;
                    }
                    lineNumber++;
                    return true;
                }
            }
            any = true;
            int start = pos;
            int nl = -1;
            for (int i = pos; i < limit; i++) {
                if (buf[i] == '\n') {
                    nl = i;
                    break;
                }
            }
            int end = nl < 0 ? limit : nl;
            append(start, end - start);
            pos = nl < 0 ? limit : nl + 1;
            offset += pos - start;
            if (nl >= 0) {
                lineNumber++;
                return true;
            }
        }
    }

    private boolean fill() throws IOException {
        if (eof) {
            return false;
        }
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            eof = true;
            return false;
        }
        pos = 0;
        limit = n;
        return true;
    }

    private void append(int from, int n) {
        if (length + n > line.length) {
            line = Arrays.copyOf(line, Math.max(length + n, line.length * 2));
        }
        System.arraycopy(buf, from, line, length, n);
        length += n;
    }

    /** The current line's bytes, valid in {@code [0, length())} until the next call. */
    byte[] bytes() {
        return line;
    }

    int length() {
        return length;
    }

    /** 1-based number of the current line. */
    long lineNumber() {
        return lineNumber;
    }

    /** Byte offset of the current line's first byte in the input. */
    long lineOffset() {
        return lineOffset;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}

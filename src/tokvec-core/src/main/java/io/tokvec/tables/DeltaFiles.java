package io.tokvec.tables;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.IntList;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** What {@code publish} reads for a delta version: the rows that changed between two tables, and a tokens file. */
public final class DeltaFiles {

    private DeltaFiles() {
    }

    /**
     * The ids of the rows of {@code next} that differ from {@code previous} bit for bit (as float32,
     * which float16 widens to exactly), then the rows {@code next} appends, ascending. Reads both
     * tables once, a block of rows at a time.
     *
     * @throws IllegalArgumentException when the dims differ or {@code next} has fewer rows
     */
    public static int[] changedRows(EmbeddingTable previous, EmbeddingTable next) {
        if (previous.dim() != next.dim() || next.rows() < previous.rows()) {
            throw new IllegalArgumentException("the new table (" + next.rows() + " x " + next.dim() + ") is not the old one ("
                    + previous.rows() + " x " + previous.dim() + ") with rows changed or appended");
        }
        int rowBytes = next.dim() * Float.BYTES;
        int block = Math.max(1, (1 << 20) / rowBytes);
        byte[] a = new byte[block * rowBytes];
        byte[] b = new byte[block * rowBytes];
        IntList changed = new IntList(1024);
        for (int first = 0; first < previous.rows(); first += block) {
            int n = Math.min(block, previous.rows() - first);
            previous.copyRowsFloat32(first, n, a, 0);
            next.copyRowsFloat32(first, n, b, 0);
            for (int r = 0; r < n; r++) {
                if (!Arrays.equals(a, r * rowBytes, (r + 1) * rowBytes, b, r * rowBytes, (r + 1) * rowBytes)) {
                    changed.add(first + r);
                }
            }
        }
        for (int r = previous.rows(); r < next.rows(); r++) {
            changed.add(r);
        }
        return Arrays.copyOf(changed.array(), changed.size());
    }

    /** A tokens file: UTF-8, one token per line ({@code \n} or {@code \r\n}), a last newline optional. */
    public static List<String> readTokens(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) end = text.length();
            String line = text.substring(start, end);
            out.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
            start = end + 1;
        }
        return out;
    }
}

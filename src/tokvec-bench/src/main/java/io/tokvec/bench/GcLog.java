package io.tokvec.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A child JVM's stop-the-world pauses and heap after each collection, from its unified log written
 * with {@link #OPTIONS} (each line stamped with the wall clock in ms, comparable with LogAppendTime):
 * the G1 pauses ({@code gc}) and every safepoint ({@code safepoint}: also the pauses that are not
 * collections, e.g. deoptimisation or biased-lock revocation).
 */
final class GcLog {

    /**
     * A pause ending at {@code endMs} (wall clock) of {@code millis}: a safepoint (every stop of all Java
     * threads: collections and the rest; {@code heapAfter} -1), or a collection, with the heap after it.
     */
    record Pause(long endMs, double millis, long heapAfter, String what) {
        boolean safepoint() {
            return heapAfter < 0;
        }
    }

    private static final Pattern STAMP = Pattern.compile("^\\[(\\d+)ms\\]");
    private static final Pattern GC = Pattern.compile("GC\\(\\d+\\) (Pause .*?) (\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)[KMG]\\) ([\\d.]+)ms");
    private static final Pattern SAFEPOINT = Pattern.compile("Safepoint \"([^\"]+)\".*Total: (\\d+) ns");

    private GcLog() {
    }

    /** JVM options that write the log {@link #read} parses to {@code file}. */
    static List<String> options(Path file) {
        return List.of("-Xlog:gc,safepoint:file=" + file + ":timemillis");
    }

    static List<Pause> read(Path file) throws IOException {
        List<Pause> pauses = new ArrayList<>();
        if (!Files.exists(file)) {
            return pauses;
        }
        for (String line : Files.readAllLines(file)) {
            Matcher t = STAMP.matcher(line);
            if (!t.find()) {
                continue;
            }
            long at = Long.parseLong(t.group(1));
            Matcher g = GC.matcher(line);
            if (g.find()) {
                pauses.add(new Pause(at, Double.parseDouble(g.group(7)), bytes(g.group(4), g.group(5)), g.group(1)));
                continue;
            }
            Matcher s = SAFEPOINT.matcher(line);
            if (s.find()) {
                pauses.add(new Pause(at, Long.parseLong(s.group(2)) / 1e6, -1, "safepoint " + s.group(1)));
            }
        }
        return pauses;
    }

    private static long bytes(String n, String unit) {
        long v = Long.parseLong(n);
        return switch (unit) {
            case "K" -> v << 10;
            case "M" -> v << 20;
            default -> v << 30;
        };
    }
}

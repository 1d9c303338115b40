package io.tokvec.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * CPU time of a process's threads from {@code /proc/<pid>/task/<tid>/stat} (Linux; empty elsewhere),
 * grouped by thread name with digits folded ({@code data-plane-kafka-request-handler-3} and {@code -5}
 * count together): where a round's CPU went, per process.
 */
final class ThreadCpu {

    /** Clock ticks per second of {@code /proc} times (USER_HZ, 100 on Linux). */
    private static final double TICKS = 100.0;

    private final Map<String, Long> ticks;

    private ThreadCpu(Map<String, Long> ticks) {
        this.ticks = ticks;
    }

    static ThreadCpu of(long pid) {
        Map<String, Long> m = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("\\d+", "#");
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    m.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                } catch (IOException | RuntimeException gone) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException | RuntimeException notLinux) {
            // no /proc: nothing to say
        }
        return new ThreadCpu(m);
    }

    /** Sums {@code of(pid)} over several processes. */
    static ThreadCpu of(List<Long> pids) {
        Map<String, Long> m = new HashMap<>();
        pids.forEach(p -> of(p).ticks.forEach((k, v) -> m.merge(k, v, Long::sum)));
        return new ThreadCpu(m);
    }

    /** The {@code n} thread groups that used the most CPU since {@code before}, as "name 1.23 s, ...". */
    String topSince(ThreadCpu before, int n) {
        Map<String, Long> diff = new LinkedHashMap<>();
        ticks.forEach((k, v) -> diff.put(k, v - before.ticks.getOrDefault(k, 0L)));
        return diff.entrySet().stream().filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
                .map(e -> String.format(Locale.ROOT, "%s %.2f s", e.getKey(), e.getValue() / TICKS))
                .collect(Collectors.joining(", "));
    }
}

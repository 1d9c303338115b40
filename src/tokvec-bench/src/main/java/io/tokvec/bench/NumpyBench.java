package io.tokvec.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The numpy reference for the core row: runs {@code bench/numpy_gather.py} (shipped in the jar) with
 * the same workload shape, when a python3 with numpy is available. The script times the per-event
 * gather {@code W[ids].tobytes()} on pre-padded ids, one thread.
 */
final class NumpyBench {

    static final String SCRIPT = "/bench/numpy_gather.py";
    private static final Pattern RESULT =
            Pattern.compile("numpy_gather events_per_s=(\\d+) cpu_events_per_s=(\\d+) mb_per_s=([\\d.]+) numpy=(\\S+)");

    /** What the script printed. */
    record Result(double eventsPerSecond, double eventsPerCpuSecond, double mbPerSecond, String numpyVersion, String python) {
    }

    private final BenchSettings settings;
    private String skipReason;

    NumpyBench(BenchSettings settings) {
        this.settings = settings;
    }

    /** Why the comparison could not run (after {@link #run} returned empty). */
    String skipReason() {
        return skipReason;
    }

    Optional<Result> run(Path workDir) throws IOException, InterruptedException {
        Optional<String> python = findPython();
        if (python.isEmpty()) {
            skipReason = "no python3 with numpy found (tried " + candidates() + "; install numpy, e.g. apt-get install -y python3-numpy)";
            return Optional.empty();
        }
        Path script = workDir.resolve("numpy_gather.py");
        try (InputStream in = NumpyBench.class.getResourceAsStream(SCRIPT)) {
            if (in == null) {
                skipReason = SCRIPT + " is missing from the classpath";
                return Optional.empty();
            }
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        List<String> cmd = List.of(python.get(), script.toString(),
                "--rows", Integer.toString(settings.rows()), "--dim", Integer.toString(settings.dim()),
                "--max-len", Integer.toString(settings.maxLen()), "--max-event-len", Integer.toString(settings.maxEventLen()),
                "--events", Integer.toString(settings.events()),
                "--warmup", String.format(Locale.ROOT, "%.2f", settings.warmupSeconds()),
                "--seconds", String.format(Locale.ROOT, "%.2f", settings.seconds()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output;
        try (InputStream in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            skipReason = "numpy_gather.py failed: " + output.strip();
            return Optional.empty();
        }
        Matcher m = RESULT.matcher(output);
        if (!m.find()) {
            skipReason = "numpy_gather.py printed no result: " + output.strip();
            return Optional.empty();
        }
        return Optional.of(new Result(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)),
                Double.parseDouble(m.group(3)), m.group(4), python.get()));
    }

    private List<String> candidates() {
        List<String> c = new ArrayList<>();
        if (settings.python() != null) {
            c.add(settings.python());
        } else {
            c.add("python3");
            c.add("/usr/bin/python3");
        }
        return c;
    }

    private Optional<String> findPython() throws InterruptedException {
        for (String py : candidates()) {
            try {
                Process p = new ProcessBuilder(py, "-c", "import numpy").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return Optional.of(py);
                }
                p.destroyForcibly();
            } catch (IOException e) {
                // not installed: try the next one
            }
        }
        return Optional.empty();
    }
}

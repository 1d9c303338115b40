package io.tokvec.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command (kcat, python, the jar) to its end and keeps its exit value and output, stderr merged. */
public final class Commands {

    private Commands() {
    }

    /** What a command did: its exit value (-1 if it could not start or timed out) and its output. */
    public record Result(int exit, String out) {
    }

    /** Runs {@code cmd} with {@code stdin} (or none) for at most {@code timeoutSeconds}. */
    public static Result run(List<String> cmd, String stdin, long timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, out + "\n(timed out)");
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, e.toString());
        }
    }
}

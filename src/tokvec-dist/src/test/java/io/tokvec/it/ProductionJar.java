package io.tokvec.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** One command of the production jar ({@code target/tokvec-app.jar}) as a child process, to completion. */
final class ProductionJar {

    /** Exit code and combined stdout/stderr of one command. */
    record Result(int exit, String output) {
    }

    private ProductionJar() {
    }

    static Path jar() {
        Path jar = Path.of(System.getProperty("tokvec.app.jar", "target/tokvec-app.jar"));
        assertThat(jar).as("the production jar (mvn verify packages it first)").isRegularFile();
        return jar;
    }

    /** Runs {@code java -jar tokvec-app.jar ARGS} and waits up to 90 s; output goes to {@code log} too. */
    static Result run(Path log, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", jar().toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("tokvec-app.jar " + List.of(args) + " did not finish within 90 s: " + Files.readString(log));
        }
        return new Result(p.exitValue(), Files.readString(log));
    }
}

package io.tokvec.docs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's first command: {@code java -jar target/tokvec.jar demo} runs to completion on its own broker. */
class DemoCommandIT {

    /** Past this the demo is taken as hung: it is killed and the test fails with its output. */
    private static final long TIMEOUT_SECONDS = 240;

    @TempDir
    Path tmp;

    @Test
    void shouldRunTheEmbeddedDemoToCompletionAndSwapTablesMidStream() throws Exception {
        String jar = System.getProperty("tokvec.jar", "target/tokvec.jar");
        Path stdout = tmp.resolve("demo.out");
        Path stderr = tmp.resolve("demo.err");
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar, "demo")).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        p.getOutputStream().close();
        boolean finished = p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!finished) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String out = Files.readString(stdout);
        assertThat(finished).as("the demo ended within %d s (it was killed); its output:%n%s%nthe end of its log:%n%s",
                TIMEOUT_SECONDS, out, tail(stderr, 40)).isTrue();
        assertThat(p.exitValue()).as("exit value; output:%n%s%nthe end of its log:%n%s", out, tail(stderr, 40)).isZero();
        assertThat(out).contains("embedded Kafka broker (KRaft) on 127.0.0.1:")
                .contains("[glove v1] s1  length=3 truncated=false dim=8")
                .contains("pos 3  id   2  mask 1  [  0.4180  0.2497 -0.4124  0.1217 ...]")
                .containsPattern("\\[glove v2\\] m[0-9]+ ")
                .contains("[dead letter] s6  ID_OUT_OF_RANGE: token id 99 at position 1")
                .containsPattern("demo: [0-9]+ enriched, 1 dead-lettered, 2 table swaps");
        // the stream switches versions once, mid-stream: the m-series has v1 records, then v2 records, never v1 after v2
        int lastV1 = out.lastIndexOf("[glove v1] m");
        int firstV2 = out.indexOf("[glove v2] m");
        assertThat(lastV1).as("a v1 output of the m-series; output:%n%s", out).isNotNegative();
        assertThat(firstV2).as("a v2 output of the m-series; output:%n%s", out).isPositive();
        assertThat(lastV1).as("the last v1 output of the m-series comes before the first v2 one").isLessThan(firstV2);
        assertThat(p.descendants().count()).isZero();
    }

    private static String tail(Path file, int lines) throws java.io.IOException {
        List<String> all = Files.readAllLines(file);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}

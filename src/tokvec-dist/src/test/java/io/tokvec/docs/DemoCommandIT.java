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
                // every event is shown with the sentence it was sent with, every position with its token
                .contains("[glove v1] s1 \"the national day\"  length=3 truncated=false dim=8")
                .contains("pos 3  id   2 'the'       mask 1  [  0.4180  0.2497 -0.4124  0.1217 ...]")
                .contains("pos 0  id   0 (padding)   mask 0")
                .contains("[glove v1] s2 \"such a country\"  length=3")
                .contains("id   1 '[UNK]'     mask 1") // "a" is not in the table
                .contains("[glove v1] s3 \"did the second one just like the day under\"  length=6 truncated=true")
                .containsPattern("\\[glove v2\\] m[0-9]+ +\"[a-z]+ [a-z]+\" +ids ")
                .contains("[glove v2] s4 \"between country and country\"")
                // the dead letter is announced with its reason before it is sent, and printed with it
                .contains("s5 as token ids [2, 99]: the table has rows 0..12, so id 99 does not exist")
                .contains("[dead letter] s5 token ids [2, 99]\n   reason ID_OUT_OF_RANGE: token id 99 at position 1")
                .containsPattern("demo: [0-9]+ enriched, 1 dead-lettered, 2 table swaps");
        // the events of the demo's input are s1..s5 and the m-series: none printed is missing from it
        assertThat(out.lines().filter(l -> l.startsWith("[")).map(l -> l.split(" ")[2]))
                .allMatch(id -> id.matches("s[1-5]|m[0-9]+"));
        // the stream switches versions once, mid-stream: every v1 record of the m-series precedes every v2 record
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

package io.tokvec.docs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The production packages ({@code src/*}/src/main/java) form no dependency cycle, read from their
 * {@code import io.tokvec.X...} lines and fully qualified uses in code (comments aside). Generated Avro classes
 * ({@code io.tokvec.avro}) depend on nothing of ours.
 */
class PackageCyclesTest {

    static final Path ROOT = Path.of(System.getProperty("tokvec.root.dir", "."));
    static final Pattern REF = Pattern.compile("\\bio\\.tokvec\\.([a-z]+)\\.[A-Z]");
    /** Block and line comments: a doc link is not a dependency. */
    static final Pattern COMMENT = Pattern.compile("(?s)/\\*.*?\\*/|//[^\\n]*");

    /** package -> packages it uses (without itself). */
    static Map<String, Set<String>> graph() throws IOException {
        Map<String, Set<String>> g = new TreeMap<>();
        try (Stream<Path> modules = Files.list(ROOT.resolve("src"))) {
            for (Path module : modules.toList()) {
                Path main = module.resolve("src/main/java/io/tokvec");
                if (!Files.isDirectory(main)) continue;
                try (Stream<Path> files = Files.walk(main)) {
                    files.filter(f -> f.toString().endsWith(".java")).forEach(f -> {
                        String pkg = main.relativize(f.getParent()).toString().replace('/', '.');
                        Set<String> uses = g.computeIfAbsent(pkg, k -> new TreeSet<>());
                        Matcher m = REF.matcher(COMMENT.matcher(read(f)).replaceAll(" "));
                        while (m.find()) {
                            if (!m.group(1).equals(pkg)) uses.add(m.group(1));
                        }
                    });
                }
            }
        }
        return g;
    }

    static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void shouldHaveNoCycleBetweenProductionPackages() throws IOException {
        Map<String, Set<String>> g = graph();
        assertThat(g).containsKeys("core", "model", "tables", "config", "serde", "kafka", "streams", "cli", "broker", "devkit", "bench");

        List<List<String>> cycles = new ArrayList<>();
        for (String start : g.keySet()) {
            Deque<List<String>> todo = new ArrayDeque<>();
            todo.push(List.of(start));
            while (!todo.isEmpty()) {
                List<String> path = todo.pop();
                for (String next : g.getOrDefault(path.get(path.size() - 1), Set.of())) {
                    if (next.equals(start)) {
                        List<String> c = new ArrayList<>(path);
                        c.add(start);
                        cycles.add(c);
                    } else if (!path.contains(next) && next.compareTo(start) > 0) {
                        List<String> longer = new ArrayList<>(path);
                        longer.add(next);
                        todo.push(longer);
                    }
                }
            }
        }
        assertThat(cycles).as("package cycles (graph %s)", g).isEmpty();
    }

    @Test
    void shouldKeepTheCorePackagesFreeOfKafkaAndOfTheApplication() throws IOException {
        Map<String, Set<String>> g = graph();
        for (String pkg : List.of("core", "tables", "model")) {
            assertThat(g.get(pkg)).as(pkg).isSubsetOf("core", "tables", "model", "avro");
        }
        try (Stream<Path> files = Files.walk(ROOT.resolve("src/tokvec-core/src/main/java"))) {
            assertThat(files.filter(f -> f.toString().endsWith(".java")))
                    .noneMatch(f -> read(f).contains("import org.apache.kafka"));
        }
    }
}

package io.tokvec.streams;

import io.tokvec.serde.MockSchemaRegistry;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The {@link TopologyHarness}es of one test, as a JUnit 5 extension:
 * {@code @RegisterExtension final TopologyHarnesses topology = new TopologyHarnesses();} then
 * {@code topology.start(overrides)} in the test. The harnesses of a test share one {@code mock://}
 * schema-registry scope (as the instances of one application share their registry) and each gets
 * its own state dir; after the test every harness is closed, the scope dropped and the state dirs
 * deleted.
 */
final class TopologyHarnesses implements BeforeEachCallback, AfterEachCallback {

    private final List<TopologyHarness> started = new ArrayList<>();
    private String scope;
    private Path root;

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        scope = context.getRequiredTestClass().getSimpleName() + "-" + context.getRequiredTestMethod().getName()
                + "-" + System.identityHashCode(this);
        root = Files.createTempDirectory("tokvec-topology-");
    }

    /** A harness with the harness defaults and {@code overrides}, on a new state dir. */
    TopologyHarness start(Map<String, String> overrides) {
        return start(overrides, stateDir("s" + started.size()));
    }

    /** A harness on {@code stateDir}: a fresh one, or the dir of a harness closed before (a restart). */
    TopologyHarness start(Map<String, String> overrides, Path stateDir) {
        if (scope == null) {
            throw new IllegalStateException("register TopologyHarnesses with @RegisterExtension on an instance field");
        }
        TopologyHarness h = new TopologyHarness(scope, stateDir, overrides);
        started.add(h);
        return h;
    }

    /** A directory of this test (deleted after it), e.g. for a harness's state dir or its table files. */
    Path stateDir(String name) {
        return root.resolve(name);
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        try {
            started.forEach(TopologyHarness::close);
        } finally {
            started.clear();
            MockSchemaRegistry.dropScope(scope);
            scope = null;
            deleteRecursively(root);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}

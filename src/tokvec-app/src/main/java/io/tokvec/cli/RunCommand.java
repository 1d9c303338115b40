package io.tokvec.cli;

import io.tokvec.app.TokvecApp;
import io.tokvec.config.TokvecConfig;
import io.tokvec.kafka.StartupChecks;
import io.tokvec.kafka.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * {@code run --config FILE}: the processor against any cluster, until SIGTERM / Ctrl-C (exit 0), or
 * until the application fails for good (the global thread died, Kafka Streams reached ERROR): then it
 * logs why, stops and exits with status 1, so that an orchestrator restarts it.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the enrichment application against a Kafka cluster (creates missing topics).",
        footer = {"", "Exit status: 0 after SIGTERM or Ctrl-C; 1 when the application failed (the reason is logged);"
                + " 2 for a bad configuration."})
public final class RunCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    /** Exit status when the application failed while running. */
    static final int FAILED = 1;

    @Mixin
    RequiredConfigOptions config;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        TokvecConfig cfg;
        try {
            cfg = new TokvecConfig(config.load(Map.of()));
            cfg.schemaRegistryUrl();
            if (cfg.property("bootstrap.servers") == null) throw new IllegalArgumentException("bootstrap.servers must be set");
        } catch (RuntimeException e) {
            System.err.println("run: " + e.getMessage());
            return 2;
        }
        // fail in one line, within tokvec.startup.check.timeout.ms, when the cluster or the registry cannot be used
        StartupChecks.check(cfg, !Main.verbose(spec));
        // The topic check (an admin client and a round trip) runs while Kafka Streams' clients are
        // built: a restarted instance resumes sooner.
        final TokvecConfig topicsConfig = cfg;
        CompletableFuture<Void> topics = CompletableFuture.runAsync(() -> Topics.ensureAll(topicsConfig));
        TokvecApp app = new TokvecApp(cfg);
        try {
            topics.join();
        } catch (CompletionException e) {
            app.close();
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw e;
        }
        // an Error on the global thread (out of memory, say) is not handed to Kafka Streams' handler
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            log.error("thread {} died", thread.getName(), e);
            app.threadDied(thread, e);
        });
        CompletableFuture<Void> signalled = new CompletableFuture<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            signalled.complete(null);
        }, "tokvec-shutdown"));
        app.start();
        CompletableFuture.anyOf(signalled, app.failed()).join();
        if (signalled.isDone()) {
            return 0; // the shutdown hook closed the application
        }
        log.error("run: the application failed: {}; stopping, exit status {} (restart it; /health/live answered 503 meanwhile)",
                app.failure(), FAILED);
        app.close();
        return FAILED;
    }
}

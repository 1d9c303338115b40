package io.tokvec.cli;

import io.tokvec.streams.TokvecApp;
import io.tokvec.config.TokvecConfig;
import io.tokvec.kafka.StartupChecks;
import io.tokvec.kafka.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;

/** {@code run --config FILE}: the processor against any cluster, until SIGTERM / Ctrl-C. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the enrichment application against a Kafka cluster (creates missing topics).")
public final class RunCommand implements Callable<Integer> {

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
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
        }, "tokvec-shutdown"));
        app.start();
        stopped.await();
        return 0;
    }
}

package io.tokvec.cli;

import io.tokvec.streams.TokvecApp;
import io.tokvec.config.TokvecConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code run --config FILE}: the processor against any cluster, until SIGTERM / Ctrl-C. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the enrichment application against a Kafka cluster (creates missing topics).")
public final class RunCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions config;

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
        TokvecApp app = new TokvecApp(cfg);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
        }, "tokvec-shutdown"));
        app.createTopics().start();
        stopped.await();
        return 0;
    }
}

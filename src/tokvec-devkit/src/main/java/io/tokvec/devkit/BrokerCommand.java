package io.tokvec.devkit;

import io.tokvec.cli.TokvecCommand;
import io.tokvec.devkit.LocalSchemaRegistryServer;
import java.io.IOException;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import io.tokvec.broker.EmbeddedKafkaBroker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tokvec broker}: runs a real single-node Kafka broker (KRaft, 127.0.0.1 only) in the foreground until
 * SIGTERM / Ctrl-C, which shut it down cleanly; the process then exits 0.
 */
@Command(name = "broker",
        mixinStandardHelpOptions = true,
        description = {
                "Runs a single-node Kafka broker (KRaft broker+controller) on 127.0.0.1 in the foreground.",
                "Stop it with Ctrl-C or SIGTERM: it shuts down cleanly and exits 0.",
                "An existing data dir is reused (same cluster id, same records)."})
public final class BrokerCommand implements TokvecCommand {

    private static final Logger log = LoggerFactory.getLogger(BrokerCommand.class);

    /** Name of the JVM shutdown hook that stops the broker. */
    public static final String SHUTDOWN_HOOK_NAME = "tokvec-broker-shutdown";

    @Option(names = "--port", defaultValue = "9092", paramLabel = "PORT",
            description = "Client port on 127.0.0.1 (0 = any free port). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--dir", defaultValue = "./tokvec-broker-data", paramLabel = "DIR",
            description = "Data dir; formatted when it holds no meta.properties, reused otherwise. Default: ${DEFAULT-VALUE}.")
    Path dir;

    @Option(names = "--registry-port", defaultValue = "8081", paramLabel = "PORT",
            description = "Also serve a small Confluent-compatible schema registry on 127.0.0.1:PORT, its schemas kept in "
                    + "DIR/schemas.jsonl (-1 = none). Default: ${DEFAULT-VALUE}.")
    int registryPort;

    @Option(names = "--partitions", defaultValue = "1", paramLabel = "N",
            description = "Default partition count of new topics (num.partitions). Default: ${DEFAULT-VALUE}.")
    int partitions;

    private volatile LocalSchemaRegistryServer registry;

    @Override
    public Integer call() throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder()
                .dataDir(dir)
                .port(port)
                .defaultPartitions(partitions)
                .build();
        CountDownLatch stopped = new CountDownLatch(1);
        PrintStream out = System.out;
        Thread hook = new Thread(() -> {
            int status = 0;
            try {
                log.info("Stopping the broker (shutdown requested)");
                if (registry != null) registry.close();
                broker.close();
                log.info("Broker stopped cleanly");
            } catch (Throwable t) {
                status = 1;
                log.error("Broker did not shut down cleanly", t);
            } finally {
                stopped.countDown();
                out.flush();
                System.err.flush();
            }
            // A JVM stopped by a signal exits 128+signal even when every hook succeeded; after a clean
            // shutdown, exit 0 instead (the JVM is already shutting down, so halt is the only way).
            Runtime.getRuntime().halt(status);
        }, SHUTDOWN_HOOK_NAME);
        Runtime.getRuntime().addShutdownHook(hook);

        try {
            broker.start();
        } catch (RuntimeException e) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running already and closes the broker itself
            }
            broker.close();
            System.err.println("broker: failed to start: " + e.getMessage());
            log.debug("start failure", e);
            return 1;
        }
        if (registryPort >= 0) {
            try {
                registry = new LocalSchemaRegistryServer(registryPort, broker.dataDir().resolve("schemas.jsonl"));
            } catch (IOException e) {
                System.err.println("broker: cannot start the schema registry on port " + registryPort + ": " + e.getMessage()
                        + " (use --registry-port N, or -1 for none)");
                broker.close();
                return 1;
            }
        }
        out.println("broker: listening on " + broker.bootstrapServers() + " (data dir " + broker.dataDir() + ")");
        if (registry != null) {
            out.println("broker: schema registry on " + registry.url());
        }
        out.flush();
        stopped.await(); // until the shutdown hook has stopped the broker (it then halts the JVM)
        return 0;
    }
}

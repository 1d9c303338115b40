package io.tokvec.bench;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * {@code tokvec broker} in a process of its own, as users run it: a single-node KRaft broker and the
 * small schema registry on free ports, with the JVM's default settings. The bench's clients,
 * tokvec instances, the Python peer and the ceiling producer all talk to it over loopback.
 */
final class BrokerProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("broker: listening on (\\S+)");
    private static final Pattern REGISTRY = Pattern.compile("broker: schema registry on (\\S+)");

    private final ChildProcess process;
    private final String bootstrap;
    private final String registryUrl;
    private final Admin admin;

    private BrokerProcess(ChildProcess process, String bootstrap, String registryUrl) {
        this.process = process;
        this.bootstrap = bootstrap;
        this.registryUrl = registryUrl;
        this.admin = Admin.create(clientProperties());
    }

    /**
     * Starts {@code tokvec broker --port 0 --registry-port 0 --dir DIR} and waits until it listens; JVM
     * options from the system property {@code tokvec.bench.broker.jvm} (space-separated; none by default).
     */
    static BrokerProcess start(Path dir, Path log) throws IOException, InterruptedException, TimeoutException {
        String opts = System.getProperty("tokvec.bench.broker.jvm", "").trim();
        List<String> jvm = opts.isEmpty() ? List.of() : List.of(opts.split("\\s+"));
        ChildProcess p = ChildProcess.start("broker", ChildProcess.java(jvm, "io.tokvec.cli.Main",
                List.of("broker", "--port", "0", "--registry-port", "0", "--dir", dir.toString())), log);
        try {
            String bootstrap = p.awaitLine(LISTENING, Duration.ofMinutes(2)).group(1);
            String registry = p.awaitLine(REGISTRY, Duration.ofMinutes(1)).group(1);
            return new BrokerProcess(p, bootstrap, registry);
        } catch (RuntimeException | InterruptedException | TimeoutException e) {
            p.close();
            throw e;
        }
    }

    String bootstrapServers() {
        return bootstrap;
    }

    String registryUrl() {
        return registryUrl;
    }

    /** What a client needs to reach the broker. */
    Map<String, Object> clientProperties() {
        return Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    }

    /** An admin client of the bench's (closed with the broker). */
    Admin admin() {
        return admin;
    }

    /** Creates a topic with one replica unless it exists. */
    void createTopic(String name, int partitions, Map<String, String> configs) {
        try {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs))).all().get(1, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause(), e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + name, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out creating topic " + name, e);
        }
    }

    /** Deletes every topic whose name starts with one of the prefixes (best effort: the data dir goes with the bench's work dir). */
    void deleteTopics(List<String> prefixes) {
        try {
            List<String> names = admin.listTopics().names().get(1, TimeUnit.MINUTES).stream()
                    .filter(t -> prefixes.stream().anyMatch(t::startsWith)).toList();
            admin.deleteTopics(names).all().get(1, TimeUnit.MINUTES);
        } catch (ExecutionException | TimeoutException e) {
            // left for the work dir's removal
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    long pid() {
        return process.pid();
    }

    double cpuSeconds() {
        return process.cpuSeconds();
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(10));
        process.close();
    }

    @Override
    public String toString() {
        return "tokvec broker on " + bootstrap + " (pid " + process.pid() + ", registry " + registryUrl + ")";
    }
}

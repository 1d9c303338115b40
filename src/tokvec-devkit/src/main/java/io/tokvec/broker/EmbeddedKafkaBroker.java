package io.tokvec.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.internals.Exit;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, single-node Kafka broker running in this JVM: one KRaft node that is both broker and controller
 * ({@link KafkaRaftServer}), listening on 127.0.0.1 only.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start()) {
 *     broker.createTopic("words", 3, Map.of());
 *     props.put("bootstrap.servers", broker.bootstrapServers());
 *     ...
 * }
 * }</pre>
 *
 * <ul>
 *   <li>Data dir: either a given directory (formatted only when it holds no {@code meta.properties},
 *       otherwise reused with its cluster id and its records) or a fresh temporary directory that
 *       {@link #close()} deletes.</li>
 *   <li>Port: a fixed one, or 0 to pick a free one (retried with new ports when binding fails). Once
 *       started, the broker keeps its port: {@link #stop()} then {@link #start()} binds the same port again,
 *       so clients that were connected before simply reconnect.</li>
 *   <li>SASL: {@link Builder#saslPlain(Map)} turns the client listener into SASL_PLAINTEXT with the PLAIN
 *       mechanism; {@link #clientProperties()} / {@link #clientProperties(String)} then hold the settings a
 *       client needs.</li>
 *   <li>ACLs: {@link Builder#authorizer(String...)} (with SASL) enables KRaft's {@code StandardAuthorizer};
 *       only the given super users, the broker's own account and the controller listener bypass ACLs, and a
 *       resource without ACLs is closed to everybody else.</li>
 * </ul>
 *
 * <p>The controller listens on a second loopback port ({@link #controllerPort()}); the quorum is static
 * ({@code controller.quorum.voters}), so the controller port may change between runs on the same data dir.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    /** The only address the broker binds to. */
    public static final String HOST = "127.0.0.1";
    /** Node id of the single combined broker/controller node. */
    public static final int NODE_ID = 1;
    /** Name of the client listener when SASL is enabled (the property prefix uses its lower-case form). */
    public static final String SASL_LISTENER = "SASL_PLAINTEXT";
    public static final String PLAINTEXT_LISTENER = "PLAINTEXT";
    public static final String CONTROLLER_LISTENER = "CONTROLLER";
    public static final String META_PROPERTIES = "meta.properties";

    private static final String PLAIN_LOGIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule";
    /** KRaft's ACL authorizer (ACLs are stored in the metadata log). */
    public static final String STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";
    /** Account the broker itself (and this class's admin client) uses on the SASL listener. */
    static final String INTERNAL_USER = "tokvec_internal";
    /** Serialises the window in which {@link Exit}'s global procedures are replaced. */
    private static final Object EXIT_GUARD = new Object();
    private static final Pattern USER_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");

    private final Path dataDir;
    private final boolean ownsDataDir;
    private final int requestedPort;
    private final int maxBindAttempts;
    private final int defaultPartitions;
    private final Duration startupTimeout;
    private final Map<String, String> extraProperties;
    private final Map<String, String> saslUsers; // null when SASL is off
    private final List<String> superUsers;       // null when no authorizer
    private final String internalPassword;

    private volatile int port;           // 0 until first bound
    private volatile int controllerPort; // 0 until first bound
    private volatile KafkaRaftServer server;
    private volatile boolean closed;
    private volatile Duration lastStartupTime;

    private EmbeddedKafkaBroker(Builder b) {
        this.requestedPort = b.port;
        this.maxBindAttempts = b.maxBindAttempts;
        this.defaultPartitions = b.defaultPartitions;
        this.startupTimeout = b.startupTimeout;
        this.extraProperties = Collections.unmodifiableMap(new LinkedHashMap<>(b.extraProperties));
        this.saslUsers = b.saslUsers == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(b.saslUsers));
        if (b.superUsers != null && saslUsers == null) {
            throw new IllegalArgumentException("an authorizer needs authenticated users: call saslPlain(...) too");
        }
        this.superUsers = b.superUsers == null ? null : List.copyOf(b.superUsers);
        byte[] secret = new byte[16];
        new SecureRandom().nextBytes(secret);
        this.internalPassword = HexFormat.of().formatHex(secret);
        try {
            if (b.dataDir == null) {
                this.dataDir = Files.createTempDirectory("tokvec-broker-").toAbsolutePath();
                this.ownsDataDir = true;
            } else {
                this.dataDir = Files.createDirectories(b.dataDir.toAbsolutePath().normalize());
                this.ownsDataDir = false;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the broker data dir", e);
        }
        this.port = requestedPort;
        this.controllerPort = b.controllerPort;
    }

    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Formats the data dir if needed, starts the broker and blocks until it answers an Admin
     * {@code describeCluster} (or the startup timeout passes). Starting a running broker does nothing.
     *
     * @return this broker
     * @throws IllegalStateException if the broker could not be started (it is then left stopped)
     */
    public synchronized EmbeddedKafkaBroker start() {
        if (closed) {
            throw new IllegalStateException("broker is closed");
        }
        if (server != null) {
            return this;
        }
        long t0 = System.nanoTime();
        boolean fixedPort = port != 0;
        RuntimeException lastBindFailure = null;
        for (int attempt = 1; attempt <= maxBindAttempts; attempt++) {
            int p = fixedPort ? port : freePort();
            int cp = controllerPort != 0 && controllerPort != p && attempt == 1 ? controllerPort : freePort(p);
            Properties props = brokerProperties(p, cp);
            formatIfNeeded(props);
            KafkaRaftServer s = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            try {
                startupGuarded(s);
            } catch (RuntimeException e) {
                shutDownQuietly(s);
                if (isBindFailure(e) && attempt < maxBindAttempts) {
                    log.info("Kafka broker could not bind (port {}, controller port {}): {}; retrying",
                            p, cp, rootMessage(e));
                    lastBindFailure = e;
                    continue;
                }
                throw new IllegalStateException("Kafka broker failed to start on " + HOST + ":" + p
                        + " (controller port " + cp + ", data dir " + dataDir + "): " + rootMessage(e), e);
            }
            this.server = s;
            this.port = p;
            this.controllerPort = cp;
            try {
                awaitReady(t0);
            } catch (RuntimeException e) {
                shutDownQuietly(s);
                this.server = null;
                throw e;
            }
            lastStartupTime = Duration.ofNanos(System.nanoTime() - t0);
            log.info("Kafka broker listening on {} (controller {}:{}, data dir {}, cluster id {}{}) - started in {} ms",
                    bootstrapServers(), HOST, cp, dataDir, clusterId(), saslUsers != null ? ", SASL/PLAIN" : "",
                    lastStartupTime.toMillis());
            return this;
        }
        throw new IllegalStateException("Kafka broker could not bind a port after " + maxBindAttempts
                + " attempts", lastBindFailure);
    }

    /**
     * Runs {@link KafkaRaftServer#startup()} with Kafka's {@link Exit} procedures replaced: a startup failure
     * (a port that cannot be bound, say) goes through Kafka's fatal fault handler, which halts the whole JVM.
     * Here it is turned into an exception instead, so that {@link #start()} can retry or report it. The
     * default procedures are restored afterwards; {@code Exit} is global, hence the JVM-wide lock.
     */
    private static void startupGuarded(KafkaRaftServer s) {
        synchronized (EXIT_GUARD) {
            AtomicReference<String> terminationRequest = new AtomicReference<>();
            Exit.Procedure record = (code, message) -> {
                String what = "exit code " + code + (message == null ? "" : " (" + message + ")");
                terminationRequest.compareAndSet(null, what);
                log.warn("Kafka requested JVM termination during broker startup ({}); failing the start instead", what);
            };
            Exit.setHaltProcedure(record);
            Exit.setExitProcedure(record);
            try {
                s.startup();
            } finally {
                Exit.resetHaltProcedure();
                Exit.resetExitProcedure();
            }
            if (terminationRequest.get() != null) {
                throw new IllegalStateException("fatal fault during broker startup: Kafka requested "
                        + terminationRequest.get());
            }
        }
    }

    /**
     * Shuts the broker down cleanly ({@code shutdown()} then {@code awaitShutdown()}) and keeps the data dir,
     * the port and the controller port, so {@link #start()} brings the same broker back. Stopping a stopped
     * broker does nothing.
     */
    public synchronized void stop() {
        KafkaRaftServer s = server;
        if (s == null) {
            return;
        }
        long t0 = System.nanoTime();
        server = null;
        try {
            s.shutdown();
        } finally {
            s.awaitShutdown();
        }
        log.info("Kafka broker on {} stopped in {} ms", bootstrapServers(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /** Stops the broker and deletes the data dir if this broker created it. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stop();
        } finally {
            if (ownsDataDir) {
                deleteRecursively(dataDir);
                log.info("Deleted broker data dir {}", dataDir);
            }
        }
    }

    public boolean isRunning() {
        return server != null;
    }

    // ------------------------------------------------------------------ accessors

    /** {@code 127.0.0.1:<port>} of the client listener (SASL_PLAINTEXT when SASL is enabled). */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /** The client port; 0 before the first start when a free port was requested. */
    public int port() {
        return port;
    }

    /** The controller (KRaft quorum) port; 0 before the first start unless one was given. */
    public int controllerPort() {
        return controllerPort;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** True when {@link #close()} deletes the data dir (a temporary dir this broker created). */
    public boolean ownsDataDir() {
        return ownsDataDir;
    }

    public boolean saslEnabled() {
        return saslUsers != null;
    }

    public int defaultPartitions() {
        return defaultPartitions;
    }

    /** How long the last {@link #start()} took (format included), or null before the first start. */
    public Duration lastStartupTime() {
        return lastStartupTime;
    }

    /** The cluster id stored in the data dir's {@code meta.properties}, or null before it was formatted. */
    public String clusterId() {
        Path meta = dataDir.resolve(META_PROPERTIES);
        if (!Files.isRegularFile(meta)) {
            return null;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(meta)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("cluster.id");
    }

    /**
     * Settings every client of this broker needs: {@code bootstrap.servers}, plus, with SASL, the security
     * protocol, mechanism and JAAS config of the broker's own internal account (always valid).
     */
    public Map<String, Object> clientProperties() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        if (saslUsers != null) {
            m.putAll(saslClientProperties(INTERNAL_USER, internalPassword));
        }
        return m;
    }

    /**
     * Like {@link #clientProperties()} but authenticating as {@code user}, one of the users given to
     * {@link Builder#saslPlain(Map)}.
     */
    public Map<String, Object> clientProperties(String user) {
        if (saslUsers == null) {
            throw new IllegalStateException("SASL is not enabled on this broker");
        }
        String pw = saslUsers.get(user);
        if (pw == null) {
            throw new IllegalArgumentException("unknown SASL user: " + user);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        m.putAll(saslClientProperties(user, pw));
        return m;
    }

    /** The client-side SASL/PLAIN settings ({@code security.protocol}, {@code sasl.mechanism}, {@code sasl.jaas.config}). */
    public static Map<String, Object> saslClientProperties(String user, String password) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        m.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
        m.put(SaslConfigs.SASL_JAAS_CONFIG, PLAIN_LOGIN_MODULE + " required username=" + jaasQuote(user)
                + " password=" + jaasQuote(password) + ";");
        return m;
    }

    // ------------------------------------------------------------------ topics

    /** {@link #createTopic(String, int, Map)} with the default partition count and no configs. */
    public void createTopic(String name) {
        createTopic(name, defaultPartitions, Map.of());
    }

    /**
     * Creates a topic with replication factor 1 unless it exists already (then it is left as it is), and waits
     * until every partition has a leader.
     */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        Objects.requireNonNull(name, "name");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1: " + partitions);
        }
        requireRunning();
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        try (Admin admin = Admin.create(adminProperties())) {
            NewTopic topic = new NewTopic(name, partitions, (short) 1).configs(configs == null ? Map.of() : configs);
            try {
                admin.createTopics(List.of(topic)).all().get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
                log.info("Created topic {} ({} partitions{})", name, partitions,
                        configs == null || configs.isEmpty() ? "" : ", " + configs);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + name + ": " + rootMessage(e), e.getCause());
                }
                log.debug("Topic {} exists already", name);
            }
            awaitTopicReady(admin, name, deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + name, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out creating topic " + name, e);
        }
    }

    private void awaitTopicReady(Admin admin, String name, long deadline)
            throws InterruptedException, TimeoutException {
        Throwable last = null;
        while (System.nanoTime() < deadline) {
            try {
                TopicDescription d = admin.describeTopics(List.of(name)).allTopicNames()
                        .get(remainingMillis(deadline), TimeUnit.MILLISECONDS).get(name);
                if (d != null && !d.partitions().isEmpty()
                        && d.partitions().stream().map(TopicPartitionInfo::leader).allMatch(l -> l != null && !l.isEmpty())) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new IllegalStateException("cannot describe topic " + name + ": " + rootMessage(e), e.getCause());
                }
                last = e.getCause();
            }
            pause(deadline);
        }
        TimeoutException t = new TimeoutException("topic " + name + " has no leader for every partition yet");
        if (last != null) {
            t.initCause(last);
        }
        throw t;
    }

    // ------------------------------------------------------------------ internals

    /** The broker configuration for the given ports (visible for tests). */
    Properties brokerProperties(int port, int controllerPort) {
        String client = saslUsers != null ? SASL_LISTENER : PLAINTEXT_LISTENER;
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("listeners", client + "://" + HOST + ":" + port + "," + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", client + "://" + HOST + ":" + port);
        p.put("listener.security.protocol.map", client + ":" + client + "," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", client);
        p.put("log.dirs", dataDir.toString());
        p.put("num.partitions", String.valueOf(defaultPartitions));
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "10");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "true");
        if (saslUsers != null) {
            p.put("sasl.enabled.mechanisms", "PLAIN");
            p.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
            p.put("listener.name." + SASL_LISTENER.toLowerCase(java.util.Locale.ROOT) + ".plain.sasl.jaas.config",
                    serverJaasConfig());
        }
        if (superUsers != null) {
            p.put("authorizer.class.name", STANDARD_AUTHORIZER);
            // The controller listener is PLAINTEXT on loopback: the node's requests to its own controller
            // arrive as ANONYMOUS and must pass, as must the broker's own SASL account.
            StringBuilder su = new StringBuilder("User:ANONYMOUS;User:").append(INTERNAL_USER);
            superUsers.forEach(u -> su.append(";User:").append(u));
            p.put("super.users", su.toString());
            p.put("allow.everyone.if.no.acl.found", "false");
        }
        p.putAll(extraProperties);
        return p;
    }

    /** The broker-side JAAS config of the SASL listener: the internal account plus one {@code user_<name>} per user. */
    String serverJaasConfig() {
        StringBuilder sb = new StringBuilder(PLAIN_LOGIN_MODULE).append(" required")
                .append(" username=").append(jaasQuote(INTERNAL_USER))
                .append(" password=").append(jaasQuote(internalPassword))
                .append(" user_").append(INTERNAL_USER).append('=').append(jaasQuote(internalPassword));
        saslUsers.forEach((u, pw) -> sb.append(" user_").append(u).append('=').append(jaasQuote(pw)));
        return sb.append(';').toString();
    }

    private static String jaasQuote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private void formatIfNeeded(Properties props) {
        if (Files.exists(dataDir.resolve(META_PROPERTIES))) {
            return;
        }
        String clusterId = Uuid.randomUuid().toString();
        Path propsFile = null;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            propsFile = Files.createTempFile("tokvec-broker-format-", ".properties");
            try (OutputStream os = Files.newOutputStream(propsFile)) {
                props.store(os, "tokvec embedded broker (format)");
            }
            int rc;
            try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
                rc = StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", propsFile.toString()}, ps);
            }
            String output = out.toString(StandardCharsets.UTF_8).trim();
            if (rc != 0) {
                throw new IllegalStateException("formatting " + dataDir + " failed (exit " + rc + "): " + output);
            }
            log.info("Formatted broker data dir {} (cluster id {})", dataDir, clusterId);
            log.debug("kafka-storage format: {}", output);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot format " + dataDir, e);
        } catch (RuntimeException e) {
            if (e instanceof IllegalStateException) {
                throw e;
            }
            String output = out.toString(StandardCharsets.UTF_8).trim();
            throw new IllegalStateException("formatting " + dataDir + " failed: " + rootMessage(e)
                    + (output.isEmpty() ? "" : " (" + output + ")"), e);
        } finally {
            if (propsFile != null) {
                try {
                    Files.deleteIfExists(propsFile);
                } catch (IOException ignored) {
                    // a temp file; nothing to do
                }
            }
        }
    }

    private Map<String, Object> adminProperties() {
        Map<String, Object> m = new LinkedHashMap<>(clientProperties());
        m.put(AdminClientConfig.CLIENT_ID_CONFIG, "tokvec-embedded-broker-admin");
        m.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        m.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        m.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        m.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 200);
        return m;
    }

    /** Waits until the broker answers {@code describeCluster} with at least one node. */
    private void awaitReady(long t0) {
        long deadline = t0 + startupTimeout.toNanos();
        Throwable last = null;
        try (Admin admin = Admin.create(adminProperties())) {
            while (System.nanoTime() < deadline) {
                try {
                    Collection<Node> nodes = admin.describeCluster().nodes()
                            .get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
                    if (!nodes.isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    last = e instanceof ExecutionException ? e.getCause() : e;
                }
                pause(deadline);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the broker", e);
        }
        throw new IllegalStateException("Kafka broker on " + bootstrapServers() + " did not answer describeCluster within "
                + startupTimeout.toMillis() + " ms" + (last == null ? "" : ": " + rootMessage(last)), last);
    }

    private void requireRunning() {
        if (server == null) {
            throw new IllegalStateException("broker is not running");
        }
    }

    /** Short back-off between two checks of a condition (never beyond the deadline). */
    private static void pause(long deadline) throws InterruptedException {
        long ms = Math.min(100, Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        if (ms > 0) {
            TimeUnit.MILLISECONDS.sleep(ms);
        }
    }

    private static long remainingMillis(long deadline) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    private static void shutDownQuietly(KafkaRaftServer s) {
        try {
            s.shutdown();
            s.awaitShutdown();
        } catch (RuntimeException e) {
            log.warn("error while shutting down a broker that failed to start: {}", rootMessage(e));
        }
    }

    static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
            String m = t.getMessage();
            if (m != null && (m.contains("Address already in use") || m.contains("failed to bind"))) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** A port free on 127.0.0.1 right now, other than {@code avoid}. */
    static int freePort(int... avoid) {
        for (int i = 0; i < 20; i++) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
                int p = s.getLocalPort();
                boolean clash = false;
                for (int a : avoid) {
                    clash |= a == p;
                }
                if (!clash) {
                    return p;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot find a free port on " + HOST, e);
            }
        }
        throw new IllegalStateException("cannot find a free port on " + HOST);
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            log.warn("could not delete broker data dir {}: {}", dir, e.toString());
        }
    }

    @Override
    public String toString() {
        return "EmbeddedKafkaBroker[" + bootstrapServers() + ", dir " + dataDir + (isRunning() ? ", running" : "") + "]";
    }

    // ------------------------------------------------------------------ builder

    public static final class Builder {
        private Path dataDir;
        private int port;
        private int controllerPort;
        private int maxBindAttempts = 5;
        private int defaultPartitions = 1;
        private Duration startupTimeout = Duration.ofSeconds(60);
        private final Map<String, String> extraProperties = new LinkedHashMap<>();
        private Map<String, String> saslUsers;
        private List<String> superUsers;

        private Builder() {
        }

        /** Use (and keep) this directory; formatted only when it holds no {@code meta.properties}. Default: a temp dir deleted on close. */
        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        /** Client port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        /** Controller port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder controllerPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("controller port out of range: " + port);
            }
            this.controllerPort = port;
            return this;
        }

        /** How many times to try new free ports when binding fails (default 5). */
        public Builder maxBindAttempts(int attempts) {
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts must be >= 1");
            }
            this.maxBindAttempts = attempts;
            return this;
        }

        /** Broker {@code num.partitions}, also used by {@link EmbeddedKafkaBroker#createTopic(String)} (default 1). */
        public Builder defaultPartitions(int partitions) {
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be >= 1");
            }
            this.defaultPartitions = partitions;
            return this;
        }

        /** How long {@code start()} (and {@code createTopic}) may wait (default 60 s). */
        public Builder startupTimeout(Duration timeout) {
            this.startupTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** One extra broker property; applied last, so it overrides the defaults. */
        public Builder brokerProperty(String key, String value) {
            extraProperties.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
            return this;
        }

        /** Extra broker properties; applied last, so they override the defaults. */
        public Builder brokerProperties(Map<String, String> properties) {
            properties.forEach(this::brokerProperty);
            return this;
        }

        /**
         * Makes the client listener SASL_PLAINTEXT with the PLAIN mechanism, accepting these users
         * (name to password).
         */
        public Builder saslPlain(Map<String, String> usersToPasswords) {
            Map<String, String> users = new LinkedHashMap<>();
            usersToPasswords.forEach((u, pw) -> {
                if (u == null || !USER_NAME.matcher(u).matches()) {
                    throw new IllegalArgumentException("SASL user names must match " + USER_NAME + ": " + u);
                }
                if (u.equals(INTERNAL_USER)) {
                    throw new IllegalArgumentException("reserved SASL user name: " + u);
                }
                users.put(u, Objects.requireNonNull(pw, "password of " + u));
            });
            if (users.isEmpty()) {
                throw new IllegalArgumentException("saslPlain needs at least one user");
            }
            this.saslUsers = users;
            return this;
        }

        /**
         * Enables ACLs ({@link #STANDARD_AUTHORIZER}, {@code allow.everyone.if.no.acl.found=false}). The
         * given SASL users are super users (typically one admin that creates topics and ACLs); everybody else
         * needs ACLs. Requires {@link #saslPlain(Map)}.
         */
        public Builder authorizer(String... superUsers) {
            for (String u : superUsers) {
                if (u == null || !USER_NAME.matcher(u).matches()) {
                    throw new IllegalArgumentException("super user names must match " + USER_NAME + ": " + u);
                }
            }
            this.superUsers = List.of(superUsers);
            return this;
        }

        public EmbeddedKafkaBroker build() {
            return new EmbeddedKafkaBroker(this);
        }
    }
}

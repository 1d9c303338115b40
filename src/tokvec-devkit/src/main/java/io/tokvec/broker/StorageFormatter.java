package io.tokvec.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Properties;

import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Formats a node's data dir ({@code kafka-storage format}) when it holds no {@code meta.properties}; a formatted
 * dir is reused as it is (its cluster id and its records). Every node of a cluster is formatted with the same
 * cluster id; the quorum is static ({@code controller.quorum.voters}), so no {@code --standalone} or
 * {@code --initial-controllers} is needed.
 */
public final class StorageFormatter {

    private static final Logger log = LoggerFactory.getLogger(StorageFormatter.class);
    public static final String META_PROPERTIES = "meta.properties";

    private StorageFormatter() {
    }

    public static boolean isFormatted(Path dataDir) {
        return Files.isRegularFile(dataDir.resolve(META_PROPERTIES));
    }

    /** The cluster id stored in the data dir's {@code meta.properties}, or null before it was formatted. */
    public static String clusterId(Path dataDir) {
        if (!isFormatted(dataDir)) {
            return null;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(dataDir.resolve(META_PROPERTIES))) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("cluster.id");
    }

    /**
     * The cluster id of the nodes started with {@code tokvec broker --nodes N --port BASE}: derived from the base
     * port, so that N processes started with the same options agree without being told.
     */
    public static String clusterIdForBasePort(int basePort) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256")
                    .digest(("tokvec-cluster:" + basePort).getBytes(StandardCharsets.UTF_8));
            ByteBuffer b = ByteBuffer.wrap(d);
            return new Uuid(b.getLong(), b.getLong()).toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String randomClusterId() {
        return Uuid.randomUuid().toString();
    }

    /**
     * Formats {@code dataDir} for the node configured by {@code nodeProperties} with {@code clusterId}, unless it is
     * formatted already.
     *
     * @throws IllegalStateException with kafka-storage's output when formatting fails
     */
    public static void formatIfNeeded(Path dataDir, Properties nodeProperties, String clusterId) {
        if (isFormatted(dataDir)) {
            return;
        }
        Path propsFile = null;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            Files.createDirectories(dataDir);
            propsFile = Files.createTempFile("tokvec-broker-format-", ".properties");
            try (OutputStream os = Files.newOutputStream(propsFile)) {
                nodeProperties.store(os, "tokvec embedded broker (format)");
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
        } catch (IllegalStateException e) {
            throw e;
        } catch (RuntimeException e) {
            String output = out.toString(StandardCharsets.UTF_8).trim();
            throw new IllegalStateException("formatting " + dataDir + " failed: " + e
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
}

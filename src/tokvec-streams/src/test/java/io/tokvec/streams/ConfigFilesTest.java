package io.tokvec.streams;

import io.tokvec.config.TokvecConfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configuration and Docker files the project ships: they parse, the documented defaults are
 * the code's defaults, and the Dockerfile and compose file agree with each other. Paths are
 * relative to the project root (surefire's working directory).
 */
class ConfigFilesTest {

    static final Path DOCUMENTED = Path.of("config/tokvec.properties");
    static final Path LOCAL = Path.of("config/local.properties");
    static final Path DOCKER_CONFIG_DIR = Path.of("docker/config");
    static final Path DOCKERFILE = Path.of("docker/Dockerfile");
    static final Path DOCKERIGNORE = Path.of("docker/Dockerfile.dockerignore");
    static final Path COMPOSE = Path.of("docker/compose.yaml");

    @ParameterizedTest
    @ValueSource(strings = {"config/tokvec.properties", "config/local.properties", "docker/config/tokvec.properties"})
    void shouldParseWithTheDefaultEnrichmentAndTopicsWhenLoaded(String file) {
        TokvecConfig cfg = TokvecConfig.of(TokvecConfig.load(Path.of(file)));

        assertThat(cfg.enrichOptions().maxLen()).isEqualTo(128);
        assertThat(cfg.outputEncoding()).isEqualTo(TokvecConfig.OutputEncoding.BYTES);
        assertThat(cfg.inputTopic()).isEqualTo("tokvec-events");
        assertThat(cfg.outputTopic()).isEqualTo("tokvec-enriched");
        assertThat(cfg.modelTopic()).isEqualTo("tokvec-model");
        assertThat(cfg.dlqTopic()).isEqualTo("tokvec-dlq");
        assertThat(cfg.table()).isEqualTo("embeddings");
        assertThat(cfg.pinnedVersion()).isEqualTo(-1);
        assertThat(cfg.property("bootstrap.servers")).isNotBlank();
        assertThat(cfg.property("processing.guarantee")).isEqualTo("exactly_once_v2");
        assertThat(cfg.property("state.dir")).isNotBlank();
        // Two processes (run, publish) cannot share a mock:// registry.
        assertThat(cfg.schemaRegistryUrl()).startsWith("http");
    }

    @ParameterizedTest
    @ValueSource(strings = {"config/tokvec.properties", "config/local.properties", "docker/config/tokvec.properties"})
    void shouldSetOnlyKnownTokvecKeysWhenLoaded(String file) throws IOException {
        Properties p = TokvecConfig.load(Path.of(file));

        Set<String> own = new TreeSet<>();
        for (String k : p.stringPropertyNames()) {
            if (k.startsWith("tokvec.")) own.add(k);
        }
        assertThat(knownKeys()).containsAll(own);
    }

    @Test
    void shouldDocumentEveryDefaultWithExactlyItsValue() {
        Properties p = TokvecConfig.load(DOCUMENTED);

        TokvecConfig.DEFAULTS.forEach((key, value) ->
                assertThat(p.getProperty(key)).as("%s in %s", key, DOCUMENTED).isEqualTo(value));
        assertThat(p.getProperty(TokvecConfig.MAX_LEN)).isEqualTo("128");
    }

    @Test
    void shouldMentionEveryTokvecKeyWhenSomeHaveNoDefault() throws IOException {
        String text = Files.readString(DOCUMENTED);

        for (String key : knownKeys()) {
            assertThat(text).as("%s documented in %s", key, DOCUMENTED).containsPattern("(?m)^#?" + Pattern.quote(key) + "=");
        }
        // No default and not set in the documented file: following commits is the default.
        assertThat(TokvecConfig.load(DOCUMENTED).getProperty(TokvecConfig.TABLE_VERSION)).isNull();
    }

    @Test
    void shouldRecommendStreamsSettingsAndKeepSecurityExamplesCommentedOut() throws IOException {
        Properties p = TokvecConfig.load(DOCUMENTED);
        String text = Files.readString(DOCUMENTED);

        assertThat(p.getProperty("replication.factor")).isEqualTo("3");
        assertThat(p.getProperty("num.stream.threads")).isNotBlank();
        assertThat(p.getProperty("application.id")).isNotBlank();
        assertThat(p.getProperty("security.protocol")).isNull();
        assertThat(text).contains("#sasl.mechanism=SCRAM-SHA-512", "#sasl.mechanism=PLAIN", "#security.protocol=SSL",
                "#ssl.truststore.location=", "#ssl.keystore.location=", "#basic.auth.user.info=");
    }

    @Test
    void shouldCopyTheProductionJarAndRunItWhenTheImageIsBuilt() throws IOException {
        String dockerfile = Files.readString(DOCKERFILE);

        assertThat(dockerfile).containsPattern("(?m)^FROM eclipse-temurin:17-jre\\s*$");
        assertThat(dockerfile).containsPattern("(?m)^COPY target/tokvec-app\\.jar /app/tokvec-app\\.jar\\s*$");
        assertThat(dockerfile).contains("ENTRYPOINT [\"java\", \"-jar\", \"/app/tokvec-app.jar\"]");
        assertThat(lastMatch(dockerfile, "(?m)^USER (\\S+)")).isNotIn("root", "0");
        assertThat(Files.readString(DOCKERIGNORE)).containsPattern("(?m)^!target/tokvec-app\\.jar$");
    }

    @Test
    void shouldMountTheConfigDirTheImageCommandReads() throws IOException {
        String cmdConfig = lastMatch(Files.readString(DOCKERFILE), "(?m)^CMD \\[\"run\", \"--config\", \"([^\"]+)\"\\]");
        Path inContainer = Path.of(cmdConfig);
        String compose = Files.readString(COMPOSE);

        assertThat(compose).contains("- ./config:" + inContainer.getParent() + ":ro");
        assertThat(DOCKER_CONFIG_DIR.resolve(inContainer.getFileName())).exists();
        assertThat(compose).contains("context: ..", "dockerfile: docker/Dockerfile");
    }

    @Test
    void shouldPutTheStateDirOnTheImageVolume() throws IOException {
        String volume = lastMatch(Files.readString(DOCKERFILE), "(?m)^VOLUME \\[\"([^\"]+)\"\\]");
        String stateDir = TokvecConfig.load(DOCKER_CONFIG_DIR.resolve("tokvec.properties")).getProperty("state.dir");

        assertThat(stateDir).startsWith(volume + "/");
        assertThat(Files.readString(COMPOSE)).contains(":" + volume + "\n");
    }

    @Test
    void shouldPinEveryImageTagWhenComposing() throws IOException {
        String compose = Files.readString(COMPOSE);
        List<String> images = allMatches(compose, "(?m)^\\s*image:\\s*(\\S+)\\s*$");

        assertThat(images).isNotEmpty().allSatisfy(image -> {
            String tag = image.substring(image.lastIndexOf('/') + 1);
            assertThat(tag).as(image).contains(":");
            assertThat(tag.substring(tag.indexOf(':') + 1)).as(image).isNotEqualTo("latest").isNotBlank();
        });
        assertThat(images).anyMatch(i -> i.startsWith("apache/kafka:4."))
                .anyMatch(i -> i.startsWith("confluentinc/cp-schema-registry:"));
    }

    @Test
    void shouldRunTheBrokerOfTheClientVersionWhenComposing() throws IOException {
        String kafkaVersion = lastMatch(Files.readString(Path.of("pom.xml")), "<kafka\\.version>([^<]+)</kafka\\.version>");

        assertThat(Files.readString(COMPOSE)).contains("image: apache/kafka:" + kafkaVersion + "\n");
    }

    @Test
    void shouldConfigureSingleNodeReplicationWhenComposing() throws IOException {
        String compose = Files.readString(COMPOSE);

        assertThat(compose).contains("KAFKA_PROCESS_ROLES: broker,controller", "KAFKA_CONTROLLER_QUORUM_VOTERS: 1@kafka:9093",
                "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: 1", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: 1",
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: 1", "SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS: PLAINTEXT://kafka:9092",
                "profiles: [\"publish\"]", "- ./data:/data:ro");
        Properties docker = TokvecConfig.load(DOCKER_CONFIG_DIR.resolve("tokvec.properties"));
        assertThat(docker.getProperty("bootstrap.servers")).isEqualTo("kafka:9092");
        assertThat(docker.getProperty("schema.registry.url")).isEqualTo("http://schema-registry:8081");
        assertThat(docker.getProperty("replication.factor")).isEqualTo("1");
    }

    /** Every {@code tokvec.*} key TokvecConfig names (its public String constants). */
    static Set<String> knownKeys() {
        Set<String> keys = new TreeSet<>();
        for (Field f : TokvecConfig.class.getFields()) {
            if (f.getType() == String.class && Modifier.isStatic(f.getModifiers())) {
                try {
                    String v = (String) f.get(null);
                    if (v.startsWith("tokvec.")) keys.add(v);
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return keys;
    }

    private static String lastMatch(String text, String regex) {
        List<String> all = allMatches(text, regex);
        assertThat(all).as("matches of %s", regex).isNotEmpty();
        return all.get(all.size() - 1);
    }

    private static List<String> allMatches(String text, String regex) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) out.add(m.group(1));
        return out;
    }
}

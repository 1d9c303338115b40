package io.tokvec.it;

import io.tokvec.devkit.TestSchemaRegistry;
import io.tokvec.config.TokvecConfig;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A dying application dies visibly: {@code tokvec.jar run} serves v1 on a broker with an authorizer;
 * then its principal loses READ on the model topic, so the global thread (the model topic's consumer)
 * fails for good. The process logs why and exits with status 1, so that an orchestrator restarts it,
 * instead of staying up with no way to swap tables again.
 */
class GlobalThreadFailureIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String APP = "dies";
    private static final String ADMIN = "admin";
    private static final String TOKVEC = "tokvec";
    private static final String TRAINER = "trainer";

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension("GlobalThreadFailureIT", b -> b
            .saslPlain(Map.of(ADMIN, "admin-secret", TOKVEC, "tokvec-secret", TRAINER, "trainer-secret"))
            .authorizer(ADMIN));
    @RegisterExtension
    static final TestSchemaRegistry REGISTRY = new TestSchemaRegistry();

    @TempDir
    Path tmp;

    private Map<String, String> settings(String user) {
        Map<String, String> s = ItApps.appConfig(APP, new HashMap<>(KAFKA.broker().clientProperties(user)), REGISTRY.url(),
                tmp.resolve("state-" + user));
        // not under the application id's prefix: the ACLs on "dies-" (its changelog) must not cover the model topic
        s.put(TokvecConfig.TOPIC_MODEL, "model-of-" + APP);
        return ItApps.withOpsEndpoint(s);
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldExitWithStatus1WhenTheGlobalThreadFails() throws Exception {
        TokvecConfig asTokvec = new TokvecConfig(settings(TOKVEC));
        Topics.ensureAll(new TokvecConfig(settings(ADMIN)));
        List<AclBinding> acls = AclIT.documentedAcls(asTokvec, APP, TOKVEC, TRAINER);
        AclBinding readModel = AclIT.allow(TOKVEC, ResourceType.TOPIC, asTokvec.modelTopic(), PatternType.LITERAL, AclOperation.READ);
        assertThat(acls).contains(readModel);
        Path logs = ChildProcessApp.jar().getParent().resolve("it-logs").resolve("GlobalThreadFailureIT");
        try (Admin admin = Admin.create(KAFKA.broker().clientProperties(ADMIN));
             SchemaRegistryClient registry = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, REGISTRY.url()));
             ModelPublisher publisher = new ModelPublisher(new TokvecConfig(settings(TRAINER)), registry)) {
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
            Path config = ChildProcessApp.writeConfig(settings(TOKVEC), tmp.resolve("tokvec.properties"));
            try (ChildProcessApp app = ChildProcessApp.start(config, logs.resolve("run.log"), "256m")) {
                int port = app.awaitHttpPort(WAIT);
                await("the ACLs in force (publish as the trainer)").atMost(WAIT).ignoreExceptions().untilAsserted(() ->
                        publisher.publish(TestTables.table(1, 20, 4), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null));
                await("v1 active").atMost(WAIT).until(() -> body(port, "/tables").contains("\"active_version\" : 1"));
                assertThat(status(port, "/health/live")).isEqualTo(200);

                admin.deleteAcls(List.of(readModel.toFilter())).all().get(30, TimeUnit.SECONDS);
                await("the application to exit").atMost(WAIT).untilAsserted(() ->
                        assertThat(app.isAlive()).as(() -> "still running; log " + app.log()).isFalse());
                assertThat(app.stop()).as("exit status").isEqualTo(1);
            }
            String log = Files.readString(logs.resolve("run.log"));
            assertThat(log).contains("the global thread failed; the application stops")
                    .containsPattern("run: the application failed: the global thread \\(model topic " + asTokvec.modelTopic()
                            + "\\) failed: .*(TopicAuthorization|Not authorized)");
            System.out.println("GlobalThreadFailureIT: " + log.lines().filter(l -> l.contains("run: the application failed"))
                    .findFirst().orElse(""));
        }
    }


    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private String body(int port, String path) {
        try {
            return get(port, path).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private int status(int port, String path) throws IOException, InterruptedException {
        return get(port, path).statusCode();
    }
}

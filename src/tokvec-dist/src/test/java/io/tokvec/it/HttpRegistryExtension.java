package io.tokvec.it;

import io.tokvec.devkit.LocalSchemaRegistryServer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One HTTP schema registry ({@link LocalSchemaRegistryServer}, in memory) per test class, for tests
 * whose applications run as child processes (a {@code mock://} scope cannot cross processes):
 * {@code @RegisterExtension static final HttpRegistryExtension REGISTRY = new HttpRegistryExtension();}
 */
final class HttpRegistryExtension implements BeforeAllCallback, AfterAllCallback {

    private LocalSchemaRegistryServer server;

    String url() {
        return server.url();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        server = new LocalSchemaRegistryServer(0, null);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (server != null) server.close();
    }
}

package io.tokvec.it;

import io.tokvec.broker.EmbeddedKafkaBroker;
import io.tokvec.serde.MockSchemaRegistry;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.function.UnaryOperator;

/**
 * One embedded broker per test class: {@code @RegisterExtension static final BrokerExtension KAFKA =
 * new BrokerExtension("Scope")}; started before the class, closed after it, with the class's
 * {@code mock://} registry scope dropped.
 */
final class BrokerExtension implements BeforeAllCallback, AfterAllCallback {

    private final String scope;
    private final UnaryOperator<EmbeddedKafkaBroker.Builder> options;
    private EmbeddedKafkaBroker broker;

    BrokerExtension(String scope) {
        this(scope, UnaryOperator.identity());
    }

    BrokerExtension(String scope, UnaryOperator<EmbeddedKafkaBroker.Builder> options) {
        this.scope = scope;
        this.options = options;
    }

    EmbeddedKafkaBroker broker() {
        return broker;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        broker = options.apply(EmbeddedKafkaBroker.builder()).build().start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (broker != null) broker.close();
        MockSchemaRegistry.dropScope(scope);
    }
}

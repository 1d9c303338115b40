package io.tokvec.it;

/** JUnit tags of the integration tests, which the build can leave out ({@code -Dtokvec.it.exclude=TAG}). */
final class ItTags {

    /**
     * Writes tables of several GB to the temporary directory (LargeTableIT, LargeWord2VecIT): skipped
     * with {@code -Dtokvec.it.exclude=large}, run alone with {@code -Dgroups=large}.
     */
    static final String LARGE = "large";

    /**
     * Runs clusters of three brokers and breaks them (FailoverIT, FailoverSaslSslIT, BrokerProcessesClientsIT,
     * EmbeddedKafkaClusterIT): minutes each; skipped with {@code -Dtokvec.it.exclude=failover}.
     */
    static final String FAILOVER = "failover";

    private ItTags() {
    }
}

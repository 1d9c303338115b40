package io.tokvec.example;

import io.tokvec.avro.TokenEvent;
import io.tokvec.streams.EnrichedStreams;
import io.tokvec.streams.TokvecEnrichment;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Produced;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * An application of its own with tokvec as one step of its topology: chat messages (key: the author's
 * user id, value: the text) that are not blank are joined with their authors' languages, the English
 * ones are enriched with the embedding table's vectors (its words are English), and the enriched
 * records and the dead letters go to topics of the application.
 *
 * <pre>{@code java io.tokvec.example.ChatEnrichment chat.properties}</pre>
 */
public final class ChatEnrichment {

    // tag::topics[]
    static final String MESSAGES = "chat-messages";       // key: user id, value: text
    static final String LANGUAGES = "user-languages";     // key: user id, value: language code
    static final String ENRICHED = "chat-enriched";       // EnrichedEvent
    static final String DEAD_LETTERS = "chat-dead-letters"; // DeadLetter
    // end::topics[]

    /** A message with its author's language. */
    record Message(String text, String language) {
    }

    private ChatEnrichment() {
    }

    // tag::topology[]
    static Topology buildTopology(TokvecEnrichment tokvec) {
        StreamsBuilder builder = new StreamsBuilder();
        tokvec.addModelStore(builder);

        KTable<String, String> languages = builder.table(LANGUAGES, Consumed.with(Serdes.String(), Serdes.String()));
        KStream<String, Message> english = builder.stream(MESSAGES, Consumed.with(Serdes.String(), Serdes.String()))
                .filter((user, text) -> text != null && !text.isBlank())
                .join(languages, Message::new)
                .filter((user, message) -> message.language().equals("en"));

        EnrichedStreams<String> out = tokvec.enrich(english, ChatEnrichment::toEvent);
        out.enriched().to(ENRICHED, Produced.with(Serdes.String(), tokvec.serdes().enrichedEvent()));
        out.deadLetters().to(DEAD_LETTERS, Produced.with(Serdes.String(), tokvec.serdes().deadLetter()));
        return builder.build();
    }
    // end::topology[]

    // tag::mapper[]
    /** The event to enrich: the message's lower-cased words; the author is the event id. */
    static TokenEvent toEvent(String user, Message message) {
        List<String> words = Arrays.stream(message.text().toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+"))
                .filter(word -> !word.isEmpty())
                .toList();
        return TokenEvent.newBuilder()
                .setId(user)
                .setTokens(words)
                .setMetadata(Map.of("language", message.language()))
                .build();
    }
    // end::mapper[]

    // tag::main[]
    public static void main(String[] args) throws IOException, InterruptedException {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
            props.load(in);
        }
        TokvecEnrichment tokvec = TokvecEnrichment.builder(props).build();
        KafkaStreams streams = new KafkaStreams(buildTopology(tokvec), props);
        tokvec.attach(streams); // the model store's restore listener, and no registry retries at shutdown

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close(Duration.ofSeconds(30));
            tokvec.close(); // after the streams: keeps the active table's snapshot for the next start
            stopped.countDown();
        }, "chat-enrichment-shutdown"));
        streams.start();
        stopped.await();
    }
    // end::main[]
}

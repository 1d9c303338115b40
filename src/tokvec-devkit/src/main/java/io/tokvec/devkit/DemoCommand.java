package io.tokvec.devkit;

import io.tokvec.cli.TokvecCommand;
import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.broker.EmbeddedKafkaBroker;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import io.tokvec.config.TokvecConfig;
import io.tokvec.tables.TableFiles;
import io.tokvec.tables.TableFormat;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code demo}: the embedded default. Starts a real single-node Kafka broker in-process, runs
 * tokvec on it (exactly_once_v2), publishes an 11-word GloVe sample as version 1, feeds sentences,
 * publishes a "retrained" version 2 mid-stream, prints what comes out, and stops everything.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run tokvec end to end on an embedded Kafka broker: publish v1, enrich, swap to v2 mid-stream, print.")
public final class DemoCommand implements TokvecCommand {

    static final String TABLE = "glove";

    @Option(names = "--max-len", description = "Sequence length (default ${DEFAULT-VALUE}).")
    int maxLen = 6;

    @Option(names = "--values", description = "Vector values shown per position (default ${DEFAULT-VALUE}).")
    int values = 4;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        Path work = Files.createTempDirectory("tokvec-demo-");
        String scope = "tokvec-demo";
        long t0 = System.nanoTime();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(work.resolve("broker")).build().start()) {
            out.printf("demo: embedded Kafka broker (KRaft) on %s, started in %d ms%n", broker.bootstrapServers(),
                    broker.lastStartupTime().toMillis());
            Map<String, String> props = new HashMap<>();
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, "tokvec-demo");
            props.put(StreamsConfig.STATE_DIR_CONFIG, work.resolve("state").toString());
            props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
            props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
            props.put(TokvecConfig.SCHEMA_REGISTRY_URL, "mock://" + scope);
            props.put(TokvecConfig.TABLE, TABLE);
            props.put(TokvecConfig.MAX_LEN, Integer.toString(maxLen));
            TokvecConfig cfg = new TokvecConfig(props);
            SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(scope);

            try (TokvecApp app = new TokvecApp(cfg).createTopics().start();
                 ModelPublisher publisher = new ModelPublisher(cfg, registry);
                 KafkaProducer<String, TokenEvent> producer = producer(broker, registry);
                 KafkaConsumer<byte[], byte[]> consumer = consumer(broker, cfg)) {
                if (!app.awaitRunning(Duration.ofSeconds(60))) {
                    System.err.println("demo: the application did not reach RUNNING");
                    return 1;
                }
                EmbeddingTable v1 = TableFiles.load(glovePath(work), TableFormat.GLOVE, null, TABLE, 1);
                out.printf("demo: publishing %s v1 (%d rows x %d dims: '' and '[UNK]' rows + 11 GloVe words) to %s%n",
                        TABLE, v1.rows(), v1.dim(), cfg.modelTopic());
                out.println("      " + publisher.publish(v1, ModelChunker.DEFAULT_CHUNK_BYTES, Map.of("source", "glove-sample.txt"), null).summary());
                awaitVersion(app, 1);

                Printer printer = new Printer(registry, cfg, v1.vocabulary().tokens());
                List<String[]> first = List.of(
                        new String[] {"s1", "the national day"},
                        new String[] {"s2", "such a country"},
                        new String[] {"s3", "did the second one just like the day under"});
                out.printf("%ndemo: sending %d sentences as token strings to %s (words not in the table map to row 1 '[UNK]';"
                        + " max_len %d: shorter ones are padded before, longer ones keep their last %d words)%n",
                        first.size(), cfg.inputTopic(), maxLen, maxLen);
                send(producer, cfg, printer, first);
                printer.drain(consumer, first.size());

                EmbeddingTable v2 = retrained(v1);
                out.printf("%ndemo: events keep flowing (one every 25 ms) while a retrained table is published as %s v2%n", TABLE);
                String[] words = {"the", "national", "day", "country", "between", "such", "second", "under"};
                // the feeder sends until ten events have gone out after the swap (and at least twenty)
                int[] sent = {0};
                Thread feeder = new Thread(() -> {
                    try {
                        int afterSwap = 0;
                        while ((sent[0] < 20 || afterSwap < 10) && sent[0] < 2000) {
                            int i = sent[0]++;
                            String w = words[i % words.length] + " " + words[(i * 3 + 1) % words.length];
                            send(producer, cfg, printer, List.<String[]>of(new String[] {"m" + i, w}));
                            if (app.registry().activeVersion() == 2) afterSwap++;
                            Thread.sleep(25);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, "tokvec-demo-feeder");
                feeder.start();
                Thread.sleep(300);
                out.println("      " + publisher.publish(v2, ModelChunker.DEFAULT_CHUNK_BYTES, Map.of("source", "demo retrain"), null).summary());
                feeder.join();
                printer.compact = true;
                printer.drain(consumer, sent[0]);
                awaitVersion(app, 2);
                printer.compact = false;
                List<String[]> second = List.<String[]>of(new String[] {"s4", "between country and country"});
                List<Integer> badIds = List.of(2, 99);
                out.printf("%ndemo: sending s4, and s5 as token ids %s: the table has rows 0..%d, so id 99 does not exist"
                        + " and s5 goes to the dead-letter topic %s with the reason%n", badIds, v2.rows() - 1, cfg.dlqTopic());
                send(producer, cfg, printer, second);
                printer.inputs.put("s5", "token ids " + badIds);
                producer.send(new ProducerRecord<>(cfg.inputTopic(), "s5",
                        TokenEvent.newBuilder().setId("s5").setTokenIds(badIds).build())).get();
                printer.drain(consumer, second.size() + 1);
                out.printf("%ndemo: %d enriched, %d dead-lettered, %d table swaps; done in %.1f s%n",
                        app.metrics().enrichedCount(), app.metrics().deadLetterCount(), app.registry().swapCount(),
                        (System.nanoTime() - t0) / 1e9);
            }
        } finally {
            MockSchemaRegistry.dropScope(scope);
            deleteTree(work);
        }
        return 0;
    }

    /** v2: every word vector scaled by 0.5 and shifted by 0.25: a stand-in for a retrained model. */
    static EmbeddingTable retrained(EmbeddingTable v1) {
        byte[] data = new byte[v1.rows() * v1.dim() * Float.BYTES];
        v1.copyRowsFloat32(0, v1.rows(), data, 0);
        for (int i = 2 * v1.dim(); i < v1.rows() * v1.dim(); i++) {
            EmbeddingTable.putFloat(data, i, EmbeddingTable.floatAt(data, i) * 0.5f + 0.25f);
        }
        return new EmbeddingTable(v1.name(), 2, v1.rows(), v1.dim(), data, v1.vocabulary());
    }

    private void awaitVersion(TokvecApp app, long version) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (app.registry().activeVersion() != version) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("table v" + version + " did not become active");
            Thread.sleep(10);
        }
        out.printf("demo: the application swapped to v%d%n", version);
    }

    /** Sends each sentence as an event of token strings, remembered by the printer to show with its output. */
    private static void send(KafkaProducer<String, TokenEvent> producer, TokvecConfig cfg, Printer printer,
            List<String[]> sentences) throws Exception {
        for (String[] s : sentences) {
            printer.inputs.put(s[0], '"' + s[1] + '"');
            TokenEvent e = TokenEvent.newBuilder().setId(s[0]).setTokens(Arrays.asList(s[1].split(" "))).build();
            producer.send(new ProducerRecord<>(cfg.inputTopic(), s[0], e)).get();
        }
    }

    private static KafkaProducer<String, TokenEvent> producer(EmbeddedKafkaBroker broker, SchemaRegistryClient registry) {
        Map<String, Object> p = new HashMap<>(broker.clientProperties());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return new KafkaProducer<>(p, new StringSerializer(), new ConfluentAvroSerializer<>(registry, false));
    }

    private static KafkaConsumer<byte[], byte[]> consumer(EmbeddedKafkaBroker broker, TokvecConfig cfg) {
        Map<String, Object> p = new HashMap<>(broker.clientProperties());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "tokvec-demo-reader");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        c.subscribe(List.of(cfg.outputTopic(), cfg.dlqTopic()));
        return c;
    }

    private static Path glovePath(Path work) throws Exception {
        Path p = work.resolve("glove-sample.txt");
        try (InputStream in = DemoCommand.class.getResourceAsStream("/demo/glove-sample.txt")) {
            if (in == null) throw new IllegalStateException("demo table missing from the jar");
            Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
        }
        return p;
    }

    private static void deleteTree(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // best effort: a temp dir
        }
    }

    /** Prints enriched records and dead letters in a readable form, each with the input it came from. */
    final class Printer {
        private final ConfluentAvroDeserializer<EnrichedEvent> enriched;
        private final ConfluentAvroDeserializer<DeadLetter> dead;
        private final TokvecConfig cfg;
        /** The table's token of each row (both demo versions share the vocabulary). */
        private final List<String> tokens;
        /** What each event id was sent with: the sentence, or its token ids. */
        final Map<String, String> inputs = new java.util.concurrent.ConcurrentHashMap<>();
        /** One line per record (id, version, ids, first values of the last position) instead of every position. */
        boolean compact;

        Printer(SchemaRegistryClient registry, TokvecConfig cfg, List<String> tokens) {
            this.enriched = new ConfluentAvroDeserializer<>(EnrichedEvent.class, registry, false);
            this.dead = new ConfluentAvroDeserializer<>(DeadLetter.class, registry, false);
            this.cfg = cfg;
            this.tokens = tokens;
        }

        void drain(KafkaConsumer<byte[], byte[]> consumer, int expected) {
            int seen = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (seen < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    seen++;
                    if (r.topic().equals(cfg.dlqTopic())) {
                        DeadLetter d = dead.deserialize(r.topic(), r.value());
                        out.printf("%n[dead letter] %s %s%n   reason %s: %s%n", d.getEventId(), inputs.get(d.getEventId()),
                                d.getReason(), d.getMessage());
                    } else {
                        print(enriched.deserialize(r.topic(), r.value()));
                    }
                }
            }
            if (seen < expected) throw new IllegalStateException("only " + seen + " of " + expected + " records arrived");
        }

        private void print(EnrichedEvent e) {
            if (compact) {
                ByteBuffer b = e.getEmbeddings().duplicate().order(ByteOrder.LITTLE_ENDIAN);
                int last = e.getIds().size() - 1;
                out.printf("[%s v%d] %-4s %-22s ids %s  last vector [%8.4f %8.4f ...]%n", e.getTable(), e.getTableVersion(),
                        e.getId(), inputs.get(e.getId()), e.getIds(), b.getFloat(last * e.getDim() * Float.BYTES),
                        b.getFloat((last * e.getDim() + 1) * Float.BYTES));
                return;
            }
            out.printf("%n[%s v%d] %s %s  length=%d truncated=%s dim=%d%n", e.getTable(), e.getTableVersion(), e.getId(),
                    inputs.get(e.getId()), e.getLength(), e.getTruncated(), e.getDim());
            ByteBuffer b = e.getEmbeddings().duplicate().order(ByteOrder.LITTLE_ENDIAN);
            for (int p = 0; p < e.getIds().size(); p++) {
                StringBuilder vec = new StringBuilder();
                for (int k = 0; k < Math.min(values, e.getDim()); k++) {
                    vec.append(String.format("%8.4f", b.getFloat((p * e.getDim() + k) * Float.BYTES)));
                }
                int id = e.getIds().get(p);
                String token = id == 0 ? "(padding)" : id < tokens.size() ? "'" + tokens.get(id) + "'" : "?";
                out.printf("   pos %d  id %3d %-10s  mask %d  [%s ...]%n", p, id, token, e.getMask().get(p) ? 1 : 0, vec);
            }
        }
    }

}

package io.tokvec.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** Every subcommand's --help renders as written: picocli formats descriptions, so a bare '%' in one is an error it warns about. */
class UsageHelpTest {

    @Test
    void shouldRenderEveryCommandsHelpWithoutPicocliWarnings() {
        CommandLine cl = new CommandLine(new Main());
        for (TokvecCommand command : java.util.ServiceLoader.load(TokvecCommand.class)) {
            cl.addSubcommand(command);
        }
        Map<String, String> usage = new TreeMap<>();
        PrintStream err = System.err;
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
        try {
            cl.getSubcommands().forEach((name, sub) -> usage.put(name, sub.getUsageMessage(CommandLine.Help.Ansi.OFF).replaceAll("\\s+", " "))); // unwrapped
        } finally {
            System.setErr(err);
        }

        assertThat(warnings.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(usage).containsKeys("enrich", "publish", "run"); // demo and bench are in other modules
        assertThat(usage.get("enrich")).contains("(mod: id % n picks the shard; div: contiguous blocks)");
        assertThat(usage.get("publish")).contains("(mod: id % n picks the shard,").contains("the first rows % n shards");
    }
}

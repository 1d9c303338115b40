package io.tokvec.cli;

import picocli.CommandLine;
import java.util.ServiceLoader;
import picocli.CommandLine.Command;

/**
 * {@code java -jar target/tokvec.jar <command>}: one jar, one subcommand per job. Each subcommand is
 * its own class. The production commands are listed below; commands of the other modules
 * (developer kit, benchmarks) are {@link TokvecCommand}s found on the class path.
 */
@Command(name = "tokvec",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Keras-exact padded, masked embedding sequences inside Kafka Streams, with hot-swapped tables.",
        subcommands = {
                CommandLine.HelpCommand.class,
                EnrichCommand.class,
                PublishCommand.class,
                RunCommand.class,
        })
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line and returns its exit code (tests call this instead of {@link #main}). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        for (TokvecCommand command : ServiceLoader.load(TokvecCommand.class)) {
            cl.addSubcommand(command);
        }
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl.execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"tokvec " + (v == null ? "dev" : v)};
        }
    }
}

package io.tokvec.cli;

import io.tokvec.kafka.StartupCheckException;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Properties;
import java.util.ServiceLoader;

/**
 * {@code java -jar target/tokvec.jar <command>}: one jar, one subcommand per job. Each subcommand is
 * its own class. The production commands are listed below; commands of the other modules
 * (developer kit, benchmarks) are {@link TokvecCommand}s found on the class path.
 *
 * <p>Errors are one line on stderr, {@code <command>: <what failed>}: a usage error names the option
 * (exit status 2), a failure says what failed (exit status 1, unless the command returns another).
 * {@code --verbose} adds the stack trace.
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

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "On failure, print the stack trace too, and let the Kafka clients' connection warnings through.")
    boolean verbose;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line and returns its exit code (tests call this instead of {@link #main}). */
    public static int execute(String... args) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        for (TokvecCommand command : ServiceLoader.load(TokvecCommand.class)) {
            cl.addSubcommand(command);
        }
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.getSubcommands().values().forEach(sub -> sub.getCommandSpec().versionProvider(new Version())); // `run -V` too
        cl.setParameterExceptionHandler(Main::usageError);
        cl.setExecutionExceptionHandler((e, command, parseResult) -> failure(e, command, main.verbose));
        return cl.execute(args);
    }

    /** Whether {@code --verbose} was given: commands pass it on to what they start (e.g. the startup checks). */
    public static boolean verbose(CommandSpec spec) {
        Object root = spec.root().userObject();
        return root instanceof Main m && m.verbose;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }

    /**
     * A usage error in one line, {@code tokvec enrich: unknown option '--maxlen' (did you mean --max-len?); see
     * 'tokvec enrich --help'}. Arguments picocli could not match are named even when another error
     * (a missing required option) came first: the missing option is often the one misspelled.
     */
    static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        List<String> unmatched = cmd.getUnmatchedArguments();
        String message = e.getMessage();
        if (!unmatched.isEmpty()) {
            List<String> options = unmatched.stream().filter(a -> a.startsWith("-")).toList();
            List<String> named = options.isEmpty() ? unmatched : options;
            message = (options.isEmpty() ? "unexpected argument" : "unknown option") + (named.size() > 1 ? "s " : " ")
                    + String.join(", ", named.stream().map(a -> "'" + a + "'").toList());
            List<String> suggestions = e instanceof CommandLine.UnmatchedArgumentException u ? u.getSuggestions() : List.of();
            if (suggestions.isEmpty() && !options.isEmpty()) {
                suggestions = new CommandLine.UnmatchedArgumentException(cmd, options).getSuggestions();
            }
            if (!suggestions.isEmpty()) {
                message += " (did you mean " + String.join(" or ", suggestions) + "?)";
            }
        }
        PrintWriter err = cmd.getErr();
        err.println(name + ": " + message + "; see '" + name + " --help'");
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * A command failed with an exception: one line naming the command and the failure. Expected
     * conditions (a dependency that cannot be used, a configuration error, a file that cannot be read)
     * print their message alone; anything else is also named by its class, and points at
     * {@code --verbose}, which prints the stack trace.
     */
    static int failure(Exception e, CommandLine command, boolean verbose) {
        PrintWriter err = command.getErr();
        boolean expected = e instanceof StartupCheckException || e instanceof ConfigException || e instanceof UncheckedIOException;
        String message = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
        err.println(command.getCommandName() + ": " + (expected ? message : "failed: " + e.getClass().getSimpleName() + ": "
                + message + (verbose ? "" : " (--verbose prints the stack trace)")));
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return command.getCommandSpec().exitCodeOnExecutionException();
    }

    /** {@code tokvec 0.1.0 (Java 17.0.12)}: the version is the build's ({@code ${project.version}}). */
    static final class Version implements CommandLine.IVersionProvider {
        static final String RESOURCE = "/io/tokvec/cli/version.properties";

        @Override
        public String[] getVersion() {
            return new String[] {"tokvec " + projectVersion() + " (Java " + System.getProperty("java.version") + ")"};
        }

        /** The project version the build wrote into {@value #RESOURCE}. */
        static String projectVersion() {
            try (InputStream in = Main.class.getResourceAsStream(RESOURCE)) {
                if (in == null) throw new IllegalStateException(RESOURCE + " is missing from the build");
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}

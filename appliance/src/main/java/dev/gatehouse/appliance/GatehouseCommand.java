package dev.gatehouse.appliance;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.gatehouse.appliance.config.ConfigFile;
import dev.gatehouse.appliance.config.GatehouseConfig;
import dev.gatehouse.appliance.config.GatehouseConfigReader;
import dev.gatehouse.core.config.ConfigError;
import dev.gatehouse.core.config.ConfigException;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.tunnel.TunnelProviders;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The command tree: {@code run}, {@code check-config}, {@code genkey}, {@code pubkey},
 * {@code peer-config}, {@code version}.
 */
@Command(
    name = "gatehouse",
    mixinStandardHelpOptions = true,
    versionProvider = GatehouseCommand.Version.class,
    description = "A tunnel-terminating edge proxy: GRE, IPsec and WireGuard in, proxied flows out.",
    subcommands = {
      GatehouseCommand.Run.class,
      GatehouseCommand.CheckConfig.class,
      KeyCommands.GenKey.class,
      KeyCommands.PubKey.class,
      PeerConfigCommand.class,
      GatehouseCommand.VersionCommand.class,
      CommandLine.HelpCommand.class
    })
public final class GatehouseCommand implements Callable<Integer> {
  static final int EXIT_OK = 0;
  static final int EXIT_FAILED = 1;

  @Spec CommandSpec spec;

  /** What commands that read standard input ({@code pubkey}) read. */
  private final InputStream stdin;

  private GatehouseCommand(InputStream stdin) {
    this.stdin = stdin;
  }

  /** A command line with Gatehouse's exit codes and error handling, reading {@link System#in}. */
  public static CommandLine commandLine() {
    return commandLine(System.in);
  }

  /** A command line whose commands read {@code stdin} as their standard input. */
  public static CommandLine commandLine(InputStream stdin) {
    CommandLine line = new CommandLine(new GatehouseCommand(stdin));
    line.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("gatehouse: " + e.getMessage());
      LoggerFactory.getLogger(GatehouseCommand.class).debug("command failed", e);
      return EXIT_FAILED;
    });
    return line;
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  InputStream stdin() {
    return stdin;
  }

  static GatehouseConfigReader reader() {
    TunnelProviders providers = TunnelProviders.load(GatehouseCommand.class.getClassLoader());
    return new GatehouseConfigReader(providers, SecretSource.system());
  }

  static String version() {
    Properties build = new Properties();
    try (InputStream in = GatehouseCommand.class.getResourceAsStream("/gatehouse-build.properties")) {
      if (in != null) {
        build.load(in);
      }
    } catch (IOException e) {
      // the version is then unknown; nothing else depends on it
    }
    return build.getProperty("version", "unknown");
  }

  static void printErrors(PrintWriter err, String source, ConfigException e) {
    err.println(source + ": " + e.errors().size() + (e.errors().size() == 1 ? " error" : " errors"));
    for (ConfigError error : e.errors()) {
      err.println("  " + error);
    }
  }

  /** {@code gatehouse run}: starts the appliance and runs until stopped. */
  @Command(name = "run", mixinStandardHelpOptions = true,
      description = "Run the appliance (on the built-in default configuration unless --config is given).")
  static final class Run implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Configuration file (YAML).")
    Path config;

    @Override
    public Integer call() throws Exception {
      PrintWriter err = spec.commandLine().getErr();
      GatehouseConfigReader reader = reader();
      ConfigFile file = null;
      GatehouseConfig settings;
      String source = config == null ? "built-in defaults" : config.toString();
      try {
        file = config == null ? null : ConfigFile.read(reader, config);
        settings = file == null ? reader.defaults() : file.config();
      } catch (ConfigException e) {
        printErrors(err, source, e);
        err.println("gatehouse: not started; fix the configuration, then check it with: gatehouse check-config "
            + (config == null ? "FILE" : config));
        return EXIT_FAILED;
      }
      ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
          .setLevel(Level.toLevel(settings.log().level()));
      try (Appliance appliance = file == null ? Appliance.start(settings) : Appliance.start(file, reader)) {
        err.println(appliance.welcome(version(), source));
        err.flush();
        appliance.awaitShutdown();
      }
      return EXIT_OK;
    }
  }

  /** {@code gatehouse check-config FILE}: validates without starting anything. */
  @Command(name = "check-config", mixinStandardHelpOptions = true,
      description = "Validate a configuration file: exit 0 when it is valid, else print every error and exit 1.")
  static final class CheckConfig implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "Configuration file (YAML).")
    Path file;

    @Override
    public Integer call() {
      try {
        GatehouseConfig settings = reader().read(file);
        spec.commandLine().getOut().println(file + ": valid (" + settings.tunnels().size() + " tunnels)");
        return EXIT_OK;
      } catch (ConfigException e) {
        printErrors(spec.commandLine().getErr(), file.toString(), e);
        return EXIT_FAILED;
      }
    }
  }

  /** {@code gatehouse version}. */
  @Command(name = "version", description = "Print the version and exit.")
  static final class VersionCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().getOut().println("gatehouse " + version());
      return EXIT_OK;
    }
  }

  /** Feeds {@code --version}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"gatehouse " + version()};
    }
  }
}

package dev.gatehouse.appliance;

import dev.gatehouse.appliance.config.GatehouseConfig;
import dev.gatehouse.appliance.config.GatehouseConfigReader;
import dev.gatehouse.core.config.ConfigException;
import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.config.Secret;
import dev.gatehouse.core.crypto.X25519Keys;
import dev.gatehouse.core.tunnel.PeerConfiguration;
import dev.gatehouse.core.tunnel.PeerConfigurationRequest;
import dev.gatehouse.core.tunnel.TunnelPlan;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code gatehouse peer-config}: prints the file a tunnel's peer runs on its own side, as the
 * tunnel's plan writes it ({@link TunnelPlan#peerConfiguration}); for {@code type: wireguard}
 * a {@code wg-quick} file. The configuration is read as {@code check-config} reads it, so an
 * invalid file reports every error the same way. The output may hold the peer's secrets and
 * is meant for the peer alone; standard error says so.
 */
@Command(name = "peer-config", mixinStandardHelpOptions = true,
    description = {"Print the configuration a tunnel's peer runs on its side to connect (type wireguard:"
        + " a wg-quick file). The output may hold secrets meant for that peer only."})
final class PeerConfigCommand implements Callable<Integer> {
  /** A private key file holds a key and a newline; anything much larger is not one. */
  private static final int MAX_KEY_FILE_BYTES = KeyCommands.MAX_INPUT_BYTES;

  @Spec CommandSpec spec;

  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
      description = "Configuration file (YAML).")
  Path config;

  @Option(names = "--tunnel", required = true, paramLabel = "NAME", description = "The tunnel's name.")
  String tunnel;

  @Option(names = "--peer", required = true, paramLabel = "PEER",
      description = "The peer's name, or its public key.")
  String peer;

  @Option(names = "--endpoint", paramLabel = "HOST:PORT", converter = EndpointConverter.class,
      description = {"Where the peer reaches the appliance: an address or a host name, and a port.",
          "Default: the tunnel's listen-address and listen-port, if listen-address is a single address."})
  InetSocketAddress endpoint;

  @Option(names = "--private-key-file", paramLabel = "FILE",
      description = {"The peer's own private key (as gatehouse genkey or wg genkey writes it),"
          + " which must match its public-key. Without it, PrivateKey is a placeholder."})
  Path privateKeyFile;

  @Option(names = "--allowed-ips", paramLabel = "PREFIX", split = ",", converter = PrefixConverter.class,
      description = {"What the peer routes into the tunnel, replacing the default: every destination"
          + " (0.0.0.0/0, ::/0) of each address family the peer has allowed IPs in."})
  List<IpPrefix> allowedIps;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    GatehouseConfig settings;
    try {
      settings = GatehouseCommand.reader().read(config);
    } catch (ConfigException e) {
      GatehouseCommand.printErrors(err, config.toString(), e);
      return GatehouseCommand.EXIT_FAILED;
    }
    Optional<TunnelPlan> plan = settings.tunnels().stream()
        .filter(t -> t.context().name().equals(tunnel))
        .findFirst();
    if (plan.isEmpty()) {
      return fail("no tunnel named \"" + tunnel + "\" in " + config + "; its tunnels: "
          + names(settings.tunnels()));
    }

    Optional<PeerConfiguration> written;
    try {
      written = plan.get().peerConfiguration(peer, request());
    } catch (IllegalArgumentException | IOException e) {
      return fail(e.getMessage());
    }
    if (written.isEmpty()) {
      return fail("tunnel \"" + tunnel + "\" is of type " + plan.get().context().type()
          + ", which has no peer configuration to give");
    }

    spec.commandLine().getOut().print(written.get().text());
    spec.commandLine().getOut().flush();
    if (written.get().holdsSecrets()) {
      err.println("gatehouse: peer-config: the output holds secrets meant for peer \"" + peer
          + "\" alone: give it to no one else, and keep it out of logs and tickets");
    }
    if (privateKeyFile == null) {
      err.println("gatehouse: peer-config: PrivateKey is a placeholder: the peer puts its own key there"
          + " (--private-key-file fills it in)");
    }
    return GatehouseCommand.EXIT_OK;
  }

  private PeerConfigurationRequest request() throws IOException {
    return new PeerConfigurationRequest(privateKey(), Optional.ofNullable(endpoint),
        Optional.ofNullable(allowedIps));
  }

  private Optional<Secret> privateKey() throws IOException {
    if (privateKeyFile == null) {
      return Optional.empty();
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(privateKeyFile)) {
      bytes = in.readNBytes(MAX_KEY_FILE_BYTES);
    } catch (IOException e) {
      throw new IOException("cannot read the private key file " + privateKeyFile + ": "
          + GatehouseConfigReader.describe(e), null);
    }
    try {
      return Optional.of(Secret.of(bytes));
    } finally {
      X25519Keys.zero(bytes);
    }
  }

  private int fail(String message) {
    spec.commandLine().getErr().println("gatehouse: peer-config: " + message);
    return GatehouseCommand.EXIT_FAILED;
  }

  private static String names(List<TunnelPlan> tunnels) {
    return tunnels.isEmpty() ? "none"
        : tunnels.stream().map(t -> t.context().name()).collect(Collectors.joining(", "));
  }

  /**
   * {@code HOST:PORT}: an IPv4 address, an IPv6 address in brackets, or a host name, which is
   * kept unresolved for the peer to look up.
   */
  static final class EndpointConverter implements CommandLine.ITypeConverter<InetSocketAddress> {
    private static final Pattern FORM = Pattern.compile("(?:\\[([0-9A-Fa-f:.]+)]|([A-Za-z0-9.-]+)):(\\d{1,5})");
    /** RFC 1123 §2.1: labels of letters, digits and inner hyphens, up to 63 each, 253 in all. */
    private static final String LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    private static final Pattern HOST_NAME = Pattern.compile("(?=.{1,253}$)" + LABEL + "(?:\\." + LABEL + ")*");

    @Override
    public InetSocketAddress convert(String text) {
      Matcher form = FORM.matcher(text);
      int port = form.matches() ? Integer.parseInt(form.group(3)) : 0;
      if (port < 1 || port > 65_535) {
        throw invalid(text);
      }
      String host = form.group(1) != null ? form.group(1) : form.group(2);
      InetAddress address = NetUtil.createInetAddressFromIpAddressString(host);
      if (address != null) {
        return new InetSocketAddress(address, port);
      }
      if (form.group(1) != null || !HOST_NAME.matcher(host).matches()) {
        throw invalid(text);
      }
      return InetSocketAddress.createUnresolved(host, port);
    }

    private static CommandLine.TypeConversionException invalid(String text) {
      return new CommandLine.TypeConversionException("expected HOST:PORT, such as 198.51.100.7:51820,"
          + " [2001:db8::7]:51820 or edge.example.net:51820, got '" + text + "'");
    }
  }

  /** An address prefix such as {@code 198.18.60.0/24} or {@code 2001:2:0:60::/64}. */
  static final class PrefixConverter implements CommandLine.ITypeConverter<IpPrefix> {
    @Override
    public IpPrefix convert(String text) {
      return IpPrefix.parse(text.strip()).orElseThrow(() -> new CommandLine.TypeConversionException(
          "expected an address prefix such as 198.18.60.0/24 or 2001:2:0:60::/64, got '" + text + "'"));
    }
  }
}

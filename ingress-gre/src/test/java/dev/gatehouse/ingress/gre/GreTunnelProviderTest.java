package dev.gatehouse.ingress.gre;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.config.ConfigError;
import dev.gatehouse.core.config.ConfigErrors;
import dev.gatehouse.core.config.ConfigNode;
import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.core.tunnel.TunnelProviders;
import dev.gatehouse.core.tunnel.TunnelSettingsReader;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings.Direction;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings.Rate;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The {@code type: gre} settings, read the way the appliance reads them: through ServiceLoader. */
class GreTunnelProviderTest {
  private final TunnelProviders providers = TunnelProviders.load(getClass().getClassLoader());
  private final TunnelSettingsReader reader = new TunnelSettingsReader(providers, SecretSource.of(Map.of()));

  private List<TunnelPlan> read(String yaml, ConfigErrors errors) {
    return reader.read(ConfigNode.parse(yaml, errors).orElseThrow(), errors);
  }

  private static List<String> messages(ConfigErrors errors) {
    return errors.list().stream().map(ConfigError::toString).toList();
  }

  private static IpPrefix prefix(String text) {
    return IpPrefix.parse(text).orElseThrow();
  }

  @Test
  void isFoundByTypeThroughServiceLoader() {
    assertInstanceOf(GreTunnelProvider.class, providers.forType("gre").orElseThrow());
  }

  @Test
  void fillsDefaultsForABareTunnel() {
    ConfigErrors errors = new ConfigErrors();
    List<TunnelPlan> plans = read("- name: branch-1\n  type: gre\n  local: 198.18.1.2\n  remote: 198.18.1.1\n",
        errors);

    assertTrue(errors.isEmpty(), messages(errors).toString());
    GreTunnelPlan plan = assertInstanceOf(GreTunnelPlan.class, plans.getFirst());
    assertEquals(new TunnelContext("branch-1", "gre", "branch-1", 0, 1476), plan.context());
    assertEquals(GreSettings.of(Packets.address("198.18.1.2"), Packets.address("198.18.1.1")), plan.settings());
  }

  @Test
  void readsEverySetting() {
    ConfigErrors errors = new ConfigErrors();
    List<TunnelPlan> plans = read("""
        - name: paris
          type: gre
          mtu: 1400
          site: paris-hq
          local: 2001:2::2
          remote: 2001:2::1
          key: 4294967295
          interface-address: [198.18.40.0/31, 2001:2:0:40::/127]
          transport: udp
          udp-port: 14754
          checksum: true
          sequence-numbers: true
        """, errors);

    assertTrue(errors.isEmpty(), messages(errors).toString());
    GreTunnelPlan plan = (GreTunnelPlan) plans.getFirst();
    assertEquals(new TunnelContext("paris", "gre", "paris-hq", 0, 1400), plan.context());
    assertEquals(new GreSettings(Packets.address("2001:2::2"), Packets.address("2001:2::1"),
        OptionalLong.of(0xFFFF_FFFFL), Optional.of(prefix("198.18.40.0/31")),
        Optional.of(prefix("2001:2:0:40::/127")), GreTransport.UDP, 14754, true, true,
        HealthCheckSettings.DEFAULTS), plan.settings());
  }

  // --- health-check

  @Test
  void readsEveryHealthCheckSetting() {
    ConfigErrors errors = new ConfigErrors();
    List<TunnelPlan> plans = read("""
        - name: lyon
          type: gre
          local: 198.18.1.2
          remote: 198.18.1.1
          interface-address: 198.18.40.1/30
          health-check:
            enabled: true
            type: request
            direction: unidirectional
            rate: high
        """, errors);

    assertTrue(errors.isEmpty(), messages(errors).toString());
    GreSettings settings = ((GreTunnelPlan) plans.getFirst()).settings();
    assertEquals(new HealthCheckSettings(true, Type.REQUEST, Direction.UNIDIRECTIONAL, Rate.HIGH),
        settings.healthCheck());
    assertEquals(Optional.of(Packets.address("198.18.40.2")), settings.siteInterfaceAddress().map(a -> a));
  }

  @Test
  void runsTheDefaultHealthCheckOnATunnelWithAnIpv4InterfaceAddress() {
    ConfigErrors errors = new ConfigErrors();
    List<TunnelPlan> plans = read("""
        - name: lyon
          type: gre
          local: 198.18.1.2
          remote: 198.18.1.1
          interface-address: 198.18.40.0/31
          health-check: {rate: low}
        - name: nice
          type: gre
          local: 198.18.1.2
          remote: 198.18.1.3
          interface-address: 198.18.40.2/31
        """, errors);

    assertTrue(errors.isEmpty(), messages(errors).toString());
    GreSettings lyon = ((GreTunnelPlan) plans.get(0)).settings();
    assertEquals(new HealthCheckSettings(true, Type.REPLY, Direction.BIDIRECTIONAL, Rate.LOW), lyon.healthCheck());
    assertEquals(Optional.of(Packets.address("198.18.40.1")), lyon.siteInterfaceAddress().map(a -> a));
    assertEquals(HealthCheckSettings.DEFAULTS, ((GreTunnelPlan) plans.get(1)).settings().healthCheck());
  }

  @Test
  void turnsTheHealthCheckOffWhenAskedOrWhenNoAddressSuitsItsDirection() {
    ConfigErrors errors = new ConfigErrors();
    List<TunnelPlan> plans = read("""
        - name: lyon
          type: gre
          local: 198.18.1.2
          remote: 198.18.1.1
          interface-address: 198.18.40.0/31
          health-check: {enabled: false}
        - name: v6-only
          type: gre
          local: 198.18.1.2
          remote: 198.18.1.3
          interface-address: 2001:2:0:40::/127
        """, errors);

    assertTrue(errors.isEmpty(), messages(errors).toString());
    assertEquals(new HealthCheckSettings(false, Type.REPLY, Direction.BIDIRECTIONAL, Rate.MID),
        ((GreTunnelPlan) plans.get(0)).settings().healthCheck());
    assertEquals(HealthCheckSettings.DISABLED, ((GreTunnelPlan) plans.get(1)).settings().healthCheck());
  }

  @Test
  void namesPathAndLineOfEveryHealthCheckError() {
    ConfigErrors errors = new ConfigErrors();
    List<TunnelPlan> plans = read("""
        - name: lyon
          type: gre
          local: 198.18.1.2
          remote: 198.18.1.1
          interface-address: 198.18.40.0/31
          health-check:
            enabled: maybe
            type: ping
            direction: both
            rate: 5
            interval: 1s
        - name: nice
          type: gre
          local: 198.18.1.2
          remote: 198.18.1.3
          health-check: {type: request}
        - name: paris
          type: gre
          local: 2001:2::2
          remote: 2001:2::1
          health-check: {direction: unidirectional}
        - name: rome
          type: gre
          local: 198.18.1.2
          remote: 198.18.1.4
          health-check: on
        """, errors);

    assertEquals(List.of(), plans);
    assertEquals(List.of(
        "[0].health-check.enabled: expected true or false, got \"maybe\" (line 7)",
        "[0].health-check.type: expected one of reply, request, got \"ping\" (line 8)",
        "[0].health-check.direction: expected one of bidirectional, unidirectional, got \"both\" (line 9)",
        "[0].health-check.rate: expected one of low, mid, high, got \"5\" (line 10)",
        "[0].health-check.interval: unknown setting; expected one of enabled, type, direction, rate (line 11)",
        "[1].health-check: a bidirectional health check probes between IPv4 interface addresses: set an IPv4"
            + " interface-address or enabled: false (line 16)",
        "[2].health-check: a unidirectional health check probes between the outer addresses, which must be IPv4:"
            + " set enabled: false (line 21)",
        "[3].health-check: expected a mapping of settings, got \"on\" (line 26)"), messages(errors));
  }

  @Test
  void takesOneInterfaceAddressWithoutAList() {
    ConfigErrors errors = new ConfigErrors();
    List<TunnelPlan> plans = read("""
        - name: lyon
          type: gre
          local: 198.18.1.2
          remote: 198.18.1.1
          interface-address: 198.18.40.1/30
        """, errors);

    assertTrue(errors.isEmpty(), messages(errors).toString());
    assertEquals(Optional.of(prefix("198.18.40.1/30")), ((GreTunnelPlan) plans.getFirst()).settings()
        .interfaceAddress());
  }

  @Test
  void reportsEveryWrongSettingWithItsPathAndLine() {
    ConfigErrors errors = new ConfigErrors();
    List<TunnelPlan> plans = read("""
        - name: bad
          type: gre
          local: 198.18.1.2
          remote: 2001:2::1
          key: 4294967296
          interface-address: [198.18.40.0/24, 198.18.41.0/30, 2001:2::/64]
          transport: ipsec
          checksum: yes
          sequence-numbers: 1
        - name: worse
          type: gre
          local: 198.18.1.2
          remote: 198.18.1.2
          udp-port: 4755
          interface-address: [198.18.40.0/31, 198.18.42.0/31]
          key: -1
        - name: small
          type: gre
          mtu: 1200
          interface-address: 2001:2:0:40::/127
        """, errors);

    assertEquals(List.of(), plans);
    assertEquals(List.of(
        "[0].remote: expected an address of the same IP version as local (198.18.1.2), got 2001:2:0:0:0:0:0:1"
            + " (line 4)",
        "[0].key: expected a GRE key from 0 to 4294967295, got \"4294967296\" (line 5)",
        "[0].interface-address[0]: expected a point-to-point IPv4 address, /31 or /30 like 198.18.60.0/31,"
            + " got 198.18.40.0/24 (line 6)",
        "[0].interface-address[1]: expected a host address of the /30, not its network or broadcast address,"
            + " got 198.18.41.0/30 (line 6)",
        "[0].interface-address[2]: expected a point-to-point IPv6 address, /127 or /126 like 2001:2:0:60::/127,"
            + " got 2001:2::/64 (line 6)",
        "[0].transport: expected one of ip, udp, got \"ipsec\" (line 7)",
        "[0].checksum: expected true or false, got \"yes\" (line 8)",
        "[0].sequence-numbers: expected true or false, got \"1\" (line 9)",
        "[1].remote: expected the site router's address, not local's own (198.18.1.2) (line 13)",
        "[1].udp-port: udp-port applies only with transport: udp (line 14)",
        "[1].interface-address[1]: expected at most one IPv4 interface address, got a second: 198.18.42.0/31"
            + " (line 15)",
        "[1].key: expected a GRE key from 0 to 4294967295, got \"-1\" (line 16)",
        "[2].local: required setting is missing (line 17)",
        "[2].remote: required setting is missing (line 17)",
        "[2].interface-address: an IPv6 interface address needs an mtu of at least 1280 (RFC 8200 §5),"
            + " the tunnel has 1200 (line 20)"), messages(errors));
  }

  @Test
  void readsTheExampleInTheConfigurationReference() throws Exception {
    String reference = Files.readString(Path.of("..", "docs", "CONFIG.md"));
    String section = reference.substring(reference.indexOf("### `type: gre`"));
    int start = section.indexOf("```yaml\n") + "```yaml\n".length();
    String yaml = section.substring(start, section.indexOf("```", start));
    ConfigErrors errors = new ConfigErrors();
    ConfigNode document = ConfigNode.parse(yaml, errors).orElseThrow();
    ConfigNode tunnels = document.asMap(errors).orElseThrow().required("tunnels").orElseThrow();

    List<TunnelPlan> plans = reader.read(tunnels, errors);

    assertTrue(errors.isEmpty(), messages(errors).toString());
    GreTunnelPlan plan = (GreTunnelPlan) plans.getFirst();
    assertEquals(1472, plan.context().mtuBytes());
    assertEquals(OptionalLong.of(1001), plan.settings().key());
    assertEquals(Optional.of(prefix("2001:2:0:40::/127")), plan.settings().interfaceAddressV6());
    assertEquals(new HealthCheckSettings(true, Type.REQUEST, Direction.BIDIRECTIONAL, Rate.HIGH),
        plan.settings().healthCheck());
    assertEquals(Optional.of(Packets.address("198.18.40.1")), plan.settings().siteInterfaceAddress().map(a -> a));
  }
}

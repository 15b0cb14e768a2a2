package dev.gatehouse.ingress.tun;

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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code type: tun} settings, read the way the appliance reads them: through ServiceLoader. */
class TunTunnelProviderTest {
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
    assertInstanceOf(TunTunnelProvider.class, providers.forType("tun").orElseThrow());
  }

  @Test
  void fillsDefaultsForABareTunnel() {
    ConfigErrors errors = new ConfigErrors();
    List<TunnelPlan> plans = read("- name: lab\n  type: tun\n", errors);

    assertTrue(errors.isEmpty(), messages(errors).toString());
    TunTunnelPlan plan = assertInstanceOf(TunTunnelPlan.class, plans.getFirst());
    assertEquals(new TunnelContext("lab", "tun", "lab", 0, 1500), plan.context());
    assertEquals(new TunSettings("gh-lab", Optional.empty(), Optional.empty(), List.of(), 1000),
        plan.settings());
  }

  @Test
  void cutsTheDefaultDeviceNameToIfnamsiz() {
    ConfigErrors errors = new ConfigErrors();
    List<TunnelPlan> plans = read("- name: branch-office-paris-2\n  type: tun\n", errors);

    assertTrue(errors.isEmpty(), messages(errors).toString());
    assertEquals("gh-branch-offic", ((TunTunnelPlan) plans.getFirst()).settings().device());
    assertEquals(15, TunTunnelProvider.defaultDeviceName("a-name-of-thirty-one-characters").length());
  }

  @Test
  void readsEverySetting() {
    ConfigErrors errors = new ConfigErrors();
    List<TunnelPlan> plans = read("""
        - name: router
          type: tun
          mtu: 1400
          site: lyon
          virtual-network: 4
          device: gh_router.0
          address: 198.18.40.1/24
          address-v6: 2001:2:0:40::1/64
          routes:
            - 198.18.41.0/24
            - 2001:2:0:41::/64
          txqueuelen: 5000
        """, errors);

    assertTrue(errors.isEmpty(), messages(errors).toString());
    TunTunnelPlan plan = (TunTunnelPlan) plans.getFirst();
    assertEquals(new TunnelContext("router", "tun", "lyon", 4, 1400), plan.context());
    assertEquals(new TunSettings("gh_router.0", Optional.of(prefix("198.18.40.1/24")),
        Optional.of(prefix("2001:2:0:40::1/64")),
        List.of(prefix("198.18.41.0/24"), prefix("2001:2:0:41::/64")), 5000), plan.settings());
  }

  @Test
  void reportsEveryWrongSettingWithItsPathAndLine() {
    ConfigErrors errors = new ConfigErrors();
    List<TunnelPlan> plans = read("""
        - name: bad
          type: tun
          device: gh/bad
          address: 2001:2::1/64
          address-v6: 198.18.40.1/24
          routes:
            - 198.18.41.1/24
            - not-a-prefix
            - 198.18.42.0/24
            - 198.18.42.0/24
          txqueuelen: 0
          ruotes: []
        - name: worse
          type: tun
          device: a-name-longer-than-15
          address: 198.18.40.1
          routes: 198.18.41.0/24
          txqueuelen: lots
        """, errors);

    assertEquals(List.of(), plans);
    assertEquals(List.of(
        "[0].device: expected an interface name of 1 to 15 letters, digits, '_', '.' and '-',"
            + " starting with a letter or digit, got \"gh/bad\" (line 3)",
        "[0].address: expected an IPv4 address and prefix like 198.18.40.1/24 (IPv6 goes in"
            + " address-v6), got 2001:2::1/64 (line 4)",
        "[0].address-v6: expected an IPv6 address and prefix like 2001:2:0:40::1/64 (IPv4 goes"
            + " in address), got 198.18.40.1/24 (line 5)",
        "[0].routes[0]: expected a network prefix with no bits set past the prefix length, like"
            + " 198.18.78.0/24, got 198.18.41.1/24 (line 7)",
        "[0].routes[1]: expected an address prefix like 198.18.40.0/31 or 2001:2::/64, got"
            + " \"not-a-prefix\" (line 8)",
        "[0].routes[3]: route 198.18.42.0/24 is already listed on line 9 (line 10)",
        "[0].txqueuelen: expected 1..1000000, got 0 (line 11)",
        "[0].ruotes: unknown setting; expected one of name, type, mtu, site, virtual-network,"
            + " device, address, address-v6, routes, txqueuelen (line 12)",
        "[1].device: expected an interface name of 1 to 15 letters, digits, '_', '.' and '-',"
            + " starting with a letter or digit, got \"a-name-longer-than-15\" (line 15)",
        "[1].address: expected an address prefix like 198.18.40.0/31 or 2001:2::/64, got"
            + " \"198.18.40.1\" (line 16)",
        "[1].routes: expected a list, got \"198.18.41.0/24\" (line 17)",
        "[1].txqueuelen: expected 1..1000000, got \"lots\" (line 18)"),
        messages(errors));
  }

  @Test
  void refusesADeviceNameTheKernelWouldNumberItself() {
    ConfigErrors errors = new ConfigErrors();
    read("- name: numbered\n  type: tun\n  device: gh%d\n", errors);

    assertEquals(1, errors.list().size(), messages(errors).toString());
    assertTrue(messages(errors).getFirst().startsWith("[0].device: expected an interface name"),
        messages(errors).getFirst());
  }

  @Test
  void refusesAnIpv6RouteWithHostBits() {
    ConfigErrors errors = new ConfigErrors();
    read("- name: v6\n  type: tun\n  routes: [2001:2:0:41::1/64]\n", errors);

    assertEquals(List.of("[0].routes[0]: expected a network prefix with no bits set past the"
        + " prefix length, like 2001:2:0:78::/64, got 2001:2:0:41::1/64 (line 3)"),
        messages(errors));
  }
}

package dev.gatehouse.core.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.config.ConfigError;
import dev.gatehouse.core.config.ConfigErrors;
import dev.gatehouse.core.config.ConfigNode;
import dev.gatehouse.core.config.SecretSource;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TunnelSettingsReaderTest {
  private final TunnelProviders providers = TunnelProviders.load(getClass().getClassLoader());
  private final TunnelSettingsReader reader = new TunnelSettingsReader(providers, SecretSource.of(Map.of()));

  private List<TunnelPlan> read(String yaml, ConfigErrors errors) {
    ConfigNode list = ConfigNode.parse(yaml, errors).orElseThrow();
    return reader.read(list, errors);
  }

  private static List<String> messages(ConfigErrors errors) {
    return errors.list().stream().map(ConfigError::toString).toList();
  }

  @Test
  void findsProvidersThroughServiceLoader() {
    assertTrue(providers.types().contains("loopback"), providers.types().toString());
    assertInstanceOf(LoopbackTestProvider.class, providers.forType("loopback").orElseThrow());
  }

  @Test
  void selectsTheProviderByTypeAndFillsDefaults() {
    ConfigErrors errors = new ConfigErrors();
    List<TunnelPlan> plans = read("- name: branch-1\n  type: loopback\n  echo: false\n"
        + "- name: branch-2\n  type: loopback\n  mtu: 1476\n  site: paris\n  virtual-network: 7\n", errors);

    assertTrue(errors.isEmpty(), messages(errors).toString());
    assertEquals(new TunnelContext("branch-1", "loopback", "branch-1", 0, 1400), plans.get(0).context());
    assertEquals(new TunnelContext("branch-2", "loopback", "paris", 7, 1476), plans.get(1).context());
    assertFalse(((LoopbackTestProvider.Plan) plans.get(0)).echo());
  }

  @Test
  void reportsEveryErrorOfEveryTunnelInOnePass() {
    ConfigErrors errors = new ConfigErrors();
    List<TunnelPlan> plans = read("- name: ok\n  type: loopback\n"
        + "- name: big\n  type: loopback\n  mtu: 70000\n"
        + "- name: ok\n  type: gre\n"
        + "- name: typo\n  type: loopback\n  echo: maybe\n  ech0: true\n", errors);

    assertEquals(1, plans.size());
    assertEquals(List.of(
        "[1].mtu: expected 576..9000, got 70000 (line 5)",
        "[2].name: tunnel name \"ok\" is already used on line 1 (line 6)",
        "[2].type: no ingress in this build provides tunnel type \"gre\"; available: loopback (line 7)",
        "[3].echo: expected true or false, got \"maybe\" (line 10)",
        "[3].ech0: unknown setting; expected one of name, type, mtu, site, virtual-network, echo (line 11)"),
        messages(errors));
  }

  @Test
  void refusesNamesThatCannotNameAnInterface() {
    ConfigErrors errors = new ConfigErrors();
    read("- name: Branch_1\n  type: loopback\n- type: loopback\n", errors);
    List<String> messages = messages(errors);
    assertTrue(messages.get(0).startsWith("[0].name: expected a name of 1 to 31 lower-case"), messages.get(0));
    assertEquals("[1].name: required setting is missing (line 3)", messages.get(1));
  }

  @Test
  void deliversInnerPacketsWithTheirTunnelContext() throws Exception {
    ConfigErrors errors = new ConfigErrors();
    TunnelPlan plan = read("- name: site-a\n  type: loopback\n  virtual-network: 3\n", errors).getFirst();
    List<TunnelContext> seen = new ArrayList<>();
    try (Tunnel tunnel = plan.create(null)) {
      tunnel.start((from, packet) -> {
        seen.add(from);
        packet.release();
      });
      ByteBuf packet = Unpooled.buffer().writeBytes(new byte[] {0x45, 0, 0, 20});
      assertTrue(tunnel.send(packet));
      assertEquals(0, packet.refCnt());
    }
    assertEquals(List.of(new TunnelContext("site-a", "loopback", "site-a", 3, 1400)), seen);
  }
}

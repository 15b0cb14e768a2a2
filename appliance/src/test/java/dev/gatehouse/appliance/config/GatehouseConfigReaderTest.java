package dev.gatehouse.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.config.ConfigError;
import dev.gatehouse.core.config.ConfigException;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.icmp.IcmpSettings;
import dev.gatehouse.core.log.ActivityLogSettings;
import dev.gatehouse.core.tunnel.TunnelProviders;
import dev.gatehouse.core.udp.UdpSettings;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatehouseConfigReaderTest {
  private final GatehouseConfigReader reader = new GatehouseConfigReader(
      TunnelProviders.load(getClass().getClassLoader()), SecretSource.of(Map.of()));

  private GatehouseConfig read(String yaml) throws ConfigException {
    return reader.read(new StringReader(yaml), "test.yaml");
  }

  private List<String> errorsOf(String yaml) {
    ConfigException e = assertThrows(ConfigException.class, () -> read(yaml));
    return e.errors().stream().map(ConfigError::toString).toList();
  }

  @Test
  void builtInDefaultsAreAnExplicitProxyOnLoopbackLoggingToStdout() {
    GatehouseConfig defaults = reader.defaults();

    assertTrue(defaults.explicitProxy().enabled());
    assertEquals(new InetSocketAddress("127.0.0.1", 3128), defaults.explicitProxy().listen());
    assertEquals(new InetSocketAddress("127.0.0.1", 9090), defaults.admin().listen());
    assertEquals(Duration.ofSeconds(30), defaults.tcp().connectTimeout());
    assertEquals(Duration.ofHours(8), defaults.tcp().idleTimeout());
    assertTrue(defaults.log().activityEnabled());
    assertEquals(ActivityLogSettings.Sink.STDOUT, defaults.log().activity().sink());
    assertTrue(defaults.tunnels().isEmpty());
  }

  @Test
  void readsEverySettingOfACompleteFile() throws Exception {
    GatehouseConfig config = read("""
        explicit-proxy:
          enabled: true
          listen: "[::1]:8080"
        admin:
          enabled: false
          listen: 127.0.0.1:9999
        proxy:
          tcp:
            connect-timeout: 5s
            idle-timeout: 1h
        log:
          level: debug
          activity:
            sink: file
            path: /var/log/gatehouse/activity.jsonl
            max-file-size: 10MiB
            keep-files: 3
            include-start: true
            queue-records: 1024
        tunnels:
          - name: branch-1
            type: loopback
        """);

    assertEquals(8080, config.explicitProxy().listen().getPort());
    assertFalse(config.admin().enabled());
    assertEquals(Duration.ofSeconds(5), config.tcp().connectTimeout());
    assertEquals(Duration.ofHours(1), config.tcp().idleTimeout());
    assertEquals("debug", config.log().level());
    ActivityLogSettings activity = config.log().activity();
    assertEquals(ActivityLogSettings.Sink.FILE, activity.sink());
    assertEquals(Path.of("/var/log/gatehouse/activity.jsonl"), activity.path());
    assertEquals(10L << 20, activity.maxFileBytes());
    assertEquals(3, activity.keptFiles());
    assertTrue(activity.includeStart());
    assertEquals(1024, activity.queueCapacity());
    assertEquals("branch-1", config.tunnels().getFirst().context().name());
  }

  @Test
  void reportsEveryErrorWithPathAndLine() {
    List<String> errors = errorsOf("""
        explicit-proxy:
          listen: localhost:3128
        proxy:
          tcp:
            conect-timeout: 5s
            idle-timeout: 10
        log:
          activity:
            sink: file
        tunnels:
          - name: a
            type: loopback
          - name: b
            type: loopback
            mtu: 70000
        metrics: {}
        """);

    assertEquals(List.of(
        "explicit-proxy.listen: expected an address and port like 127.0.0.1:3128 or [::1]:3128, "
            + "got \"localhost:3128\" (line 2)",
        "proxy.tcp.conect-timeout: unknown setting; expected one of enabled, connect-timeout, idle-timeout, "
            + "max-flows, buffer-size, source-v4, source-v6, interface (line 5)",
        "proxy.tcp.idle-timeout: expected a duration like 30s, 5m or 8h, from 1s to 7d, got \"10\" (line 6)",
        "log.activity.path: required when sink is file (line 9)",
        "tunnels[1].mtu: expected 576..9000, got 70000 (line 15)",
        "metrics: unknown setting; expected one of explicit-proxy, admin, proxy, log, tunnels, policies (line 16)"),
        errors);
  }

  @Test
  void defaultsProxyUdpAndIcmpOn() {
    GatehouseConfig defaults = reader.defaults();

    assertTrue(defaults.udp().enabled());
    assertEquals(Duration.ofMinutes(5), defaults.udp().settings().idleTimeout());
    assertEquals(UdpSettings.DEFAULT_MAX_SESSIONS, defaults.udp().settings().maxSessions());
    assertTrue(defaults.udp().settings().blockQuic(), "QUIC is blocked by default");
    assertTrue(defaults.icmp().enabled());
    assertEquals(Duration.ofMinutes(1), defaults.icmp().settings().idleTimeout());
    assertNull(defaults.icmp().settings().sourceV4());
    assertNull(defaults.icmp().settings().interfaceName());
  }

  @Test
  void readsUdpAndIcmpSettings() throws Exception {
    GatehouseConfig config = read("""
        proxy:
          udp:
            enabled: false
            idle-timeout: 30s
            max-sessions: 100
            block-quic: false
            source-v6: "2001:2::3"
            interface: eth2
          icmp:
            idle-timeout: 10s
            source-v4: 198.18.2.1
            source-v6: "2001:2::1"
            interface: eth1
        """);

    assertFalse(config.udp().enabled());
    assertEquals(Duration.ofSeconds(30), config.udp().settings().idleTimeout());
    assertEquals(100, config.udp().settings().maxSessions());
    assertFalse(config.udp().settings().blockQuic());
    assertNull(config.udp().settings().sourceV4());
    assertEquals(InetAddress.getByName("2001:2::3"), config.udp().settings().sourceV6());
    assertEquals("eth2", config.udp().settings().interfaceName());
    IcmpSettings icmp = config.icmp().settings();
    assertTrue(config.icmp().enabled());
    assertEquals(Duration.ofSeconds(10), icmp.idleTimeout());
    assertEquals(InetAddress.getByName("198.18.2.1"), icmp.sourceV4());
    assertEquals(InetAddress.getByName("2001:2::1"), icmp.sourceV6());
    assertEquals("eth1", icmp.interfaceName());
  }

  @Test
  void refusesSourcesOfTheWrongFamilyAndBadLimits() {
    List<String> errors = errorsOf("""
        proxy:
          udp:
            max-sessions: 0
            block: yes
          icmp:
            source-v4: "2001:2::1"
            source-v6: 198.18.2.1
            interface: a-name-far-too-long
        """);

    assertEquals(List.of(
        "proxy.udp.max-sessions: expected 1..1048576, got 0 (line 3)",
        "proxy.udp.block: unknown setting; expected one of enabled, idle-timeout, max-sessions, block-quic, "
            + "source-v4, source-v6, interface (line 4)",
        "proxy.icmp.source-v4: expected an IPv4 address, got 2001:2::1 (line 6)",
        "proxy.icmp.source-v6: expected an IPv6 address, got 198.18.2.1 (line 7)",
        "proxy.icmp.interface: expected an interface name of 1 to 15 characters, got "
            + "\"a-name-far-too-long\" (line 8)"),
        errors);
  }

  @Test
  void refusesAProxyAndAdminOnTheSameAddress() {
    assertEquals(List.of("admin.listen: already used by explicit-proxy.listen (127.0.0.1:3128) (line 3)"),
        errorsOf("admin:\n  enabled: true\n  listen: 127.0.0.1:3128\n"));
  }

  @Test
  void refusesADocumentThatIsNotAMapping() {
    assertEquals(List.of("(document): expected a mapping of settings, got a list (line 1)"),
        errorsOf("- a\n- b\n"));
  }

  @Test
  void namesAnUnreadableFile(@TempDir Path dir) {
    ConfigException e = assertThrows(ConfigException.class, () -> reader.read(dir.resolve("missing.yaml")));
    assertEquals("(document): cannot read the file: no such file", e.errors().getFirst().toString());
  }

  @Test
  void refusesAFileThatIsNotUtf8(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("latin1.yaml");
    Files.write(file, new byte[] {'a', ':', ' ', (byte) 0xe9, '\n'});
    ConfigException e = assertThrows(ConfigException.class, () -> reader.read(file));
    assertEquals("(document): not UTF-8 text", e.errors().getFirst().toString());
  }
}

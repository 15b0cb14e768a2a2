package dev.gatehouse.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.appliance.config.ConfigFile;
import dev.gatehouse.appliance.config.GatehouseConfigReader;
import dev.gatehouse.appliance.reload.ReloadOutcome;
import dev.gatehouse.appliance.reload.ReloadTrigger;
import dev.gatehouse.appliance.testing.Await;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.policy.Policy;
import dev.gatehouse.core.tunnel.TunnelProviders;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The appliance runs the policies of its file, exposes them, and follows edits of the file. */
class ApplianceReloadTest {
  private static final String BASE = """
      explicit-proxy: { enabled: false }
      admin: { enabled: false }
      log: { activity: { sink: "off" } }
      proxy: { tcp: { enabled: false }, udp: { enabled: false }, icmp: { enabled: false } }
      policies:
        rules:
          - { name: no-ssh, traffic: net.dst.port == 22, action: block }
      """;

  private final GatehouseConfigReader reader = new GatehouseConfigReader(
      TunnelProviders.load(getClass().getClassLoader()), SecretSource.of(Map.of()));

  private static List<String> names(Appliance appliance) {
    return appliance.policies().current().policies().stream().map(Policy::name).toList();
  }

  @Test
  void runsTheFilesPoliciesAndAppliesAnEditWithoutRestart(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("gatehouse.yaml"), BASE);

    try (Appliance appliance = Appliance.start(ConfigFile.read(reader, file), reader)) {
      assertEquals(List.of("no-ssh"), names(appliance));

      Files.writeString(file, BASE + "    - { name: no-rdp, traffic: net.dst.port == 3389, action: block }\n");

      Await.until(Duration.ofSeconds(10), "the edited file's policies run",
          () -> names(appliance).equals(List.of("no-ssh", "no-rdp")));
    }
  }

  @Test
  void answersThatAConfigurationWithoutFileHasNothingToReload() throws Exception {
    try (Appliance appliance = Appliance.start(reader.read(new StringReader(BASE), "inline"))) {
      assertEquals(new ReloadOutcome.NoFile(), appliance.policyReloader().reload(ReloadTrigger.SIGHUP));
      assertEquals(List.of("no-ssh"), names(appliance));
    }
  }
}

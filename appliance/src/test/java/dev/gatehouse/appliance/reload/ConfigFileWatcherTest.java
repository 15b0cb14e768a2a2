package dev.gatehouse.appliance.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.appliance.config.ConfigFile;
import dev.gatehouse.appliance.config.GatehouseConfigReader;
import dev.gatehouse.appliance.testing.Await;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.policy.Policy;
import dev.gatehouse.core.tunnel.TunnelProviders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFileWatcherTest {
  private static final Duration LIMIT = Duration.ofSeconds(10);

  private final GatehouseConfigReader reader = new GatehouseConfigReader(
      TunnelProviders.load(getClass().getClassLoader()), SecretSource.of(Map.of()));

  @TempDir Path dir;
  private Policies policies;
  private PolicyReloader reloader;
  private ConfigFileWatcher watcher;

  private void start(Path file) throws Exception {
    ConfigFile started = ConfigFile.read(reader, file);
    policies = new Policies(started.config().policies().set(), started.config().policies().inspectionTimeout());
    reloader = PolicyReloader.forFile(policies, reader, started, InstantSource.system());
    watcher = ConfigFileWatcher.start(file, ConfigFileWatcher.DEFAULT_DEBOUNCE,
        () -> reloader.reloadIfChangedAsync(ReloadTrigger.FILE_CHANGE));
  }

  @AfterEach
  void stop() {
    if (watcher != null) {
      watcher.close();
    }
    if (reloader != null) {
      reloader.close();
    }
  }

  private List<String> names() {
    return policies.current().policies().stream().map(Policy::name).toList();
  }

  @Test
  void appliesAFileRewrittenInPlace() throws Exception {
    Path file = Files.writeString(dir.resolve("gatehouse.yaml"), PolicyReloaderTest.ONE_RULE);
    start(file);

    Files.writeString(file, PolicyReloaderTest.TWO_RULES);

    Await.until(LIMIT, "the rewritten file's two policies run", () -> names().equals(List.of("no-ssh", "web")));
    assertEquals(ReloadTrigger.FILE_CHANGE, reloader.running().trigger());
  }

  @Test
  void appliesAFileReplacedByRenameAsEditorsSaveIt() throws Exception {
    Path file = Files.writeString(dir.resolve("gatehouse.yaml"), PolicyReloaderTest.ONE_RULE);
    start(file);

    Path swap = Files.writeString(dir.resolve(".gatehouse.yaml.swp"), PolicyReloaderTest.TWO_RULES);
    Files.move(swap, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

    Await.until(LIMIT, "the renamed file's two policies run", () -> names().equals(List.of("no-ssh", "web")));
  }

  @Test
  void appliesAKubernetesStyleSymlinkSwap() throws Exception {
    // A ConfigMap volume: gatehouse.yaml -> ..data/gatehouse.yaml, ..data -> ..v1; an update
    // writes ..v2, points ..data_tmp at it and renames ..data_tmp over ..data.
    Path v1 = Files.createDirectory(dir.resolve("..v1"));
    Files.writeString(v1.resolve("gatehouse.yaml"), PolicyReloaderTest.ONE_RULE);
    Files.createSymbolicLink(dir.resolve("..data"), Path.of("..v1"));
    Path file = Files.createSymbolicLink(dir.resolve("gatehouse.yaml"), Path.of("..data/gatehouse.yaml"));
    start(file);

    Path v2 = Files.createDirectory(dir.resolve("..v2"));
    Files.writeString(v2.resolve("gatehouse.yaml"), PolicyReloaderTest.TWO_RULES);
    Path tmp = Files.createSymbolicLink(dir.resolve("..data_tmp"), Path.of("..v2"));
    Files.move(tmp, dir.resolve("..data"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

    Await.until(LIMIT, "the swapped version's two policies run", () -> names().equals(List.of("no-ssh", "web")));
  }

  @Test
  void collapsesABurstOfWritesIntoOneCallback() throws Exception {
    Path file = Files.writeString(dir.resolve("gatehouse.yaml"), "a: 1\n");
    AtomicInteger calls = new AtomicInteger();
    ConfigFileWatcher burst = ConfigFileWatcher.start(file, Duration.ofMillis(300), calls::incrementAndGet);
    try {
      for (int i = 0; i < 5; i++) {
        Files.writeString(file, "a: " + i + "\n");
      }
      Await.until(LIMIT, "one callback after the burst", () -> calls.get() >= 1);
      // a second callback could only come from a later event; none is made
      Files.writeString(dir.resolve("unrelated.txt"), "x");
      Thread.sleep(600);
      assertEquals(1, calls.get());
    } finally {
      burst.close();
    }
  }
}

package dev.gatehouse.appliance.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.gatehouse.appliance.config.ConfigFile;
import dev.gatehouse.appliance.config.GatehouseConfigReader;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.policy.Policy;
import dev.gatehouse.core.policy.PolicySet;
import dev.gatehouse.core.tunnel.TunnelProviders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class PolicyReloaderTest {
  static final String ONE_RULE = """
      proxy:
        tcp:
          connect-timeout: 10s
      policies:
        rules:
          - name: no-ssh
            traffic: net.dst.port == 22
            action: block
      """;
  static final String TWO_RULES = """
      proxy:
        tcp:
          connect-timeout: 10s
      policies:
        default-action: block
        rules:
          - name: no-ssh
            traffic: net.dst.port == 22
            action: block
          - name: web
            traffic: net.dst.port in {80 443}
            action: allow
      """;

  private final GatehouseConfigReader reader = new GatehouseConfigReader(
      TunnelProviders.load(getClass().getClassLoader()), SecretSource.of(Map.of()));
  private final Instant startedAt = Instant.parse("2025-03-01T10:00:00Z");
  private final Logger logger = (Logger) LoggerFactory.getLogger(PolicyReloader.class);
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

  @TempDir Path dir;
  private Path file;
  private Policies policies;
  private PolicyReloader reloader;

  @BeforeEach
  void startFromOneRule() throws Exception {
    logged.start();
    logger.addAppender(logged);
    logger.setLevel(Level.INFO);
    file = Files.writeString(dir.resolve("gatehouse.yaml"), ONE_RULE);
    ConfigFile started = ConfigFile.read(reader, file);
    policies = new Policies(started.config().policies().set(), started.config().policies().inspectionTimeout());
    reloader = PolicyReloader.forFile(policies, reader, started, InstantSource.fixed(startedAt));
  }

  @AfterEach
  void stop() {
    reloader.close();
    logger.detachAppender(logged);
    logger.setLevel(null);
  }

  private List<String> warnings() {
    return logged.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
        .toList();
  }

  @Test
  void replacesTheRunningSetWithAValidFilesPolicies() throws Exception {
    List<PolicySet> told = new ArrayList<>();
    policies.onReplace(told::add);
    Files.writeString(file, TWO_RULES);

    ReloadOutcome outcome = reloader.reload(ReloadTrigger.ADMIN);

    assertEquals(new ReloadOutcome.Reloaded(2, List.of()), outcome);
    assertEquals(List.of("no-ssh", "web"), policies.current().policies().stream().map(Policy::name).toList());
    assertEquals("block", policies.current().defaultVerdict().action().configName());
    assertEquals(List.of(policies.current()), told);
    assertSame(policies.current(), reloader.running().set());
    assertEquals(ReloadTrigger.ADMIN, reloader.running().trigger());
    assertEquals(List.of(), warnings());
  }

  @Test
  void keepsTheRunningSetAndLogsEachErrorWhenTheFileIsInvalid() throws Exception {
    PolicySet before = policies.current();
    Files.writeString(file, TWO_RULES.replace("net.dst.port == 22", "net.dst.port ==")
        .replace("connect-timeout: 10s", "connect-timeout: 10"));

    ReloadOutcome outcome = reloader.reload(ReloadTrigger.SIGHUP);

    ReloadOutcome.Refused refused = assertInstanceOf(ReloadOutcome.Refused.class, outcome);
    assertEquals(2, refused.errors().size());
    assertEquals("proxy.tcp.connect-timeout", refused.errors().get(0).path());
    assertEquals(3, refused.errors().get(0).line());
    assertEquals("policies.rules[0].traffic", refused.errors().get(1).path());
    assertEquals(8, refused.errors().get(1).line());
    assertTrue(refused.errors().get(1).message().startsWith("column "), refused.errors().toString());
    assertSame(before, policies.current());
    assertEquals(ReloadTrigger.START, reloader.running().trigger());

    List<String> warnings = warnings();
    assertEquals(3, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("event=policy-reload-refused trigger=sighup"), warnings.get(0));
    assertTrue(warnings.get(1).contains(refused.errors().get(0).toString()), warnings.get(1));
    assertTrue(warnings.get(2).contains(refused.errors().get(1).toString()), warnings.get(2));
  }

  @Test
  void keepsTheRunningSetWhenTheFileIsGone() throws Exception {
    PolicySet before = policies.current();
    Files.delete(file);

    ReloadOutcome.Refused refused = assertInstanceOf(ReloadOutcome.Refused.class,
        reloader.reload(ReloadTrigger.FILE_CHANGE));

    assertEquals("cannot read the file: no such file", refused.errors().getFirst().message());
    assertSame(before, policies.current());
  }

  @Test
  void appliesPoliciesButWarnsOnceThatOtherChangedSectionsNeedARestart() throws Exception {
    Files.writeString(file, TWO_RULES.replace("connect-timeout: 10s", "connect-timeout: 20s")
        + "log:\n  level: debug\n");

    ReloadOutcome first = reloader.reload(ReloadTrigger.ADMIN);
    ReloadOutcome again = reloader.reload(ReloadTrigger.ADMIN);

    assertEquals(new ReloadOutcome.Reloaded(2, List.of("log", "proxy")), first);
    assertEquals(first, again);
    assertEquals(2, policies.current().policies().size());
    List<String> warnings = warnings();
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.getFirst().contains("event=restart-needed trigger=admin sections=log,proxy"),
        warnings.getFirst());
  }

  @Test
  void appliesAChangedInspectionTimeoutWithoutARestart() throws Exception {
    Files.writeString(file, ONE_RULE.replace("  rules:", "  inspection-timeout: 1s\n  rules:"));

    assertEquals(new ReloadOutcome.Reloaded(1, List.of()), reloader.reload(ReloadTrigger.ADMIN));
    assertEquals(Duration.ofSeconds(1), policies.inspectionTimeout());
    assertEquals(Duration.ofSeconds(1), reloader.running().inspectionTimeout());
  }

  @Test
  void takesReformattingOfOtherSectionsForNoChange() throws Exception {
    Files.writeString(file, "# reformatted\nproxy: {tcp: {connect-timeout: 10s}}\n"
        + TWO_RULES.substring(TWO_RULES.indexOf("policies:")));

    assertEquals(new ReloadOutcome.Reloaded(2, List.of()), reloader.reload(ReloadTrigger.ADMIN));
  }

  @Test
  void skipsAFileWhoseTextIsUnchangedOnlyWhenAskedTo() throws Exception {
    assertEquals(new ReloadOutcome.Unchanged(), reloader.reloadIfChanged(ReloadTrigger.FILE_CHANGE));
    assertEquals(new ReloadOutcome.Reloaded(1, List.of()), reloader.reload(ReloadTrigger.SIGHUP));

    Files.writeString(file, TWO_RULES);
    assertEquals(new ReloadOutcome.Reloaded(2, List.of()), reloader.reloadIfChanged(ReloadTrigger.FILE_CHANGE));
    assertEquals(new ReloadOutcome.Unchanged(), reloader.reloadIfChanged(ReloadTrigger.FILE_CHANGE));
  }

  @Test
  void runsAsynchronousReloadsOnItsOwnThread() throws Exception {
    Files.writeString(file, TWO_RULES);

    ReloadOutcome outcome = reloader.reloadAsync(ReloadTrigger.ADMIN).get();

    assertEquals(new ReloadOutcome.Reloaded(2, List.of()), outcome);
  }

  @Test
  void answersThatThereIsNoFileOnTheBuiltInDefaults() {
    Policies defaults = Policies.allowAll();
    try (PolicyReloader withoutFile = PolicyReloader.withoutFile(defaults, InstantSource.fixed(startedAt))) {
      assertEquals(new ReloadOutcome.NoFile(), withoutFile.reload(ReloadTrigger.SIGHUP));
      assertSame(PolicySet.ALLOW_ALL, defaults.current());
      assertEquals(startedAt, withoutFile.running().loadedAt());
      assertTrue(withoutFile.file().isEmpty());
    }
  }
}

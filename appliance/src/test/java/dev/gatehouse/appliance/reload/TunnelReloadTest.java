package dev.gatehouse.appliance.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.gatehouse.appliance.config.ConfigFile;
import dev.gatehouse.appliance.config.GatehouseConfigReader;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.tunnel.InnerPacketSink;
import dev.gatehouse.core.tunnel.Tunnel;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.core.tunnel.TunnelProviders;
import dev.gatehouse.core.tunnel.TunnelReconfiguration;
import io.netty.buffer.ByteBuf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * What a reload does with {@code tunnels}: which running tunnels are offered their new
 * plan, and what is named as needing a restart. The tunnels are of the test type {@code
 * capture}, whose only settings are the common ones; the running ones are scripted.
 */
class TunnelReloadTest {
  private static final String STARTED = """
      tunnels:
        - { name: a, type: capture }
        - { name: b, type: capture, site: lyon }
      policies:
        rules:
          - { name: no-ssh, traffic: net.dst.port == 22, action: block }
      """;

  private final GatehouseConfigReader reader = new GatehouseConfigReader(
      TunnelProviders.load(getClass().getClassLoader()), SecretSource.of(Map.of()));
  private final Logger logger = (Logger) LoggerFactory.getLogger(PolicyReloader.class);
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final ScriptedTunnel a = new ScriptedTunnel("a");
  private final ScriptedTunnel b = new ScriptedTunnel("b");

  @TempDir Path dir;
  private Path file;
  private PolicyReloader reloader;

  @BeforeEach
  void start() throws Exception {
    logged.start();
    logger.addAppender(logged);
    logger.setLevel(Level.INFO);
    file = Files.writeString(dir.resolve("gatehouse.yaml"), STARTED);
    ConfigFile started = ConfigFile.read(reader, file);
    Policies policies = new Policies(started.config().policies().set(),
        started.config().policies().inspectionTimeout());
    Map<String, Tunnel> running = Map.of("a", a, "b", b);
    reloader = PolicyReloader.forFile(policies, reader, started, InstantSource.system(),
        name -> Optional.ofNullable(running.get(name)));
  }

  @AfterEach
  void stop() {
    reloader.close();
    logger.detachAppender(logged);
    logger.setLevel(null);
  }

  @Test
  void offersOnlyAChangedTunnelItsNewPlanAndNamesWhatItCannotApply() throws Exception {
    a.answer = TunnelReconfiguration.of(List.of("peer lyon added"), List.of("private-key"));
    Files.writeString(file, STARTED.replace("{ name: a, type: capture }", "{ name: a, type: capture, mtu: 1400 }"));

    ReloadOutcome outcome = reloader.reload(ReloadTrigger.SIGHUP);

    assertEquals(new ReloadOutcome.Reloaded(1, List.of("tunnels.a.private-key"), List.of("a: peer lyon added")),
        outcome);
    assertEquals(1, a.offered.size());
    assertEquals(1400, a.offered.getFirst().context().mtuBytes());
    assertEquals(List.of(), b.offered, "an unchanged tunnel is not offered anything");
    List<String> lines = messages();
    assertTrue(lines.stream().anyMatch(l -> l.contains("event=tunnel-reloaded trigger=sighup tunnel=a applied=\"peer"
        + " lyon added\"")), lines.toString());
    assertTrue(lines.stream().anyMatch(l -> l.contains("event=restart-needed trigger=sighup"
        + " sections=tunnels.a.private-key")), lines.toString());
  }

  @Test
  void namesTunnelsAddedOrRemovedAndTunnelsThatApplyNothingInPlace() throws Exception {
    a.answer = TunnelReconfiguration.NOT_IN_PLACE;
    Files.writeString(file, STARTED.replace("{ name: a, type: capture }", "{ name: a, type: capture, site: paris }")
        .replace("{ name: b, type: capture, site: lyon }", "{ name: c, type: capture }")
        + "log:\n  level: debug\n");

    ReloadOutcome outcome = reloader.reload(ReloadTrigger.ADMIN);

    assertEquals(new ReloadOutcome.Reloaded(1, List.of("log", "tunnels.a", "tunnels.b", "tunnels.c")), outcome);
    assertEquals(1, a.offered.size());
    assertEquals(List.of(), b.offered, "a removed tunnel runs on until a restart");
  }

  @Test
  void offersAChangeOnceKeepsNamingWhatWaitsAndOffersARevert() throws Exception {
    a.answer = TunnelReconfiguration.of(List.of("peer lyon added"), List.of("listen-port"));
    Files.writeString(file, STARTED.replace("{ name: a, type: capture }", "{ name: a, type: capture, site: x }"));

    reloader.reload(ReloadTrigger.ADMIN);
    ReloadOutcome again = reloader.reload(ReloadTrigger.ADMIN);

    assertEquals(new ReloadOutcome.Reloaded(1, List.of("tunnels.a.listen-port")), again);
    assertEquals(1, a.offered.size(), "the same item is offered once");

    // going back to the file as started is a change for a tunnel that applied peers
    a.answer = TunnelReconfiguration.of(List.of("peer lyon removed"), List.of());
    Files.writeString(file, STARTED);
    ReloadOutcome reverted = reloader.reload(ReloadTrigger.ADMIN);

    assertEquals(new ReloadOutcome.Reloaded(1, List.of(), List.of("a: peer lyon removed")), reverted);
    assertEquals(2, a.offered.size());
    assertEquals("a", a.offered.getLast().context().site());
  }

  @Test
  void offersAgainAfterATunnelFailedToApply() throws Exception {
    a.failure = new IllegalStateException("tunnel a: its loop is shutting down");
    Files.writeString(file, STARTED.replace("{ name: a, type: capture }", "{ name: a, type: capture, mtu: 1400 }"));

    ReloadOutcome failed = reloader.reload(ReloadTrigger.FILE_CHANGE);
    a.failure = null;
    a.answer = TunnelReconfiguration.of(List.of("peer lyon added"), List.of());
    ReloadOutcome retried = reloader.reload(ReloadTrigger.SIGHUP);

    assertEquals(new ReloadOutcome.Reloaded(1, List.of("tunnels.a")), failed);
    assertEquals(new ReloadOutcome.Reloaded(1, List.of(), List.of("a: peer lyon added")), retried);
    assertEquals(2, a.offered.size());
    assertTrue(messages().stream().anyMatch(l -> l.contains("event=tunnel-reload-failed trigger=file-change"
        + " tunnel=a")), messages().toString());
  }

  private List<String> messages() {
    return logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  /** A running tunnel that records the plans offered to it and answers as the test says. */
  private static final class ScriptedTunnel implements Tunnel {
    private final TunnelContext context;
    final List<TunnelPlan> offered = new ArrayList<>();
    TunnelReconfiguration answer = TunnelReconfiguration.of(List.of(), List.of());
    RuntimeException failure;

    ScriptedTunnel(String name) {
      context = new TunnelContext(name, "capture", name, 0, 1500);
    }

    @Override
    public TunnelContext context() {
      return context;
    }

    @Override
    public void start(InnerPacketSink sink) {}

    @Override
    public boolean send(ByteBuf innerPacket) {
      innerPacket.release();
      return false;
    }

    @Override
    public TunnelReconfiguration reconfigure(TunnelPlan newPlan) {
      offered.add(newPlan);
      if (failure != null) {
        throw failure;
      }
      return answer;
    }

    @Override
    public void close() {}
  }
}

package dev.gatehouse.appliance.reload;

import dev.gatehouse.appliance.config.ConfigFile;
import dev.gatehouse.appliance.config.GatehouseConfigReader;
import dev.gatehouse.core.config.ConfigError;
import dev.gatehouse.core.config.ConfigException;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.policy.PolicySet;
import dev.gatehouse.core.tunnel.Tunnel;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.core.tunnel.TunnelReconfiguration;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the network policies, and what running tunnels can change in place, from the
 * configuration file the appliance started with.
 *
 * <p>A reload re-reads and validates the whole file, exactly as {@code gatehouse run} does.
 * When the file is invalid, nothing changes and every error is logged at WARN, one line
 * each. When it is valid, its policies replace the running ones ({@link Policies#replace}),
 * and each running tunnel whose item in {@code tunnels} changed is offered its new plan
 * ({@link Tunnel#reconfigure}), which a WireGuard tunnel uses to add, remove and update
 * peers. Nothing else takes effect: a WARN line names the sections that changed and need a
 * restart, down to the tunnel and the setting within {@code tunnels}.
 *
 * <p>Reloads run one at a time: the asynchronous forms queue on one thread of their own, so
 * a signal handler, the file watcher and an event loop never wait on file I/O or on compiling
 * expressions.
 */
public final class PolicyReloader implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyReloader.class);

  private final Policies policies;
  private final GatehouseConfigReader reader;
  /** The file as the appliance started with it; null on the built-in defaults. */
  private final ConfigFile started;
  private final InstantSource clock;
  private final RunningTunnels tunnels;
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("gatehouse-reload").factory());
  private volatile RunningPolicies running;
  /** The text last read, valid or not: a file event for the same text is no change. */
  private String lastTextDigest;
  /** The restart-needing changes last warned about, so that one change is warned about once. */
  private String lastRestartWarning = "";
  /** Each running tunnel's item digest as it was last offered to the tunnel (at start: as started). */
  private final Map<String, String> offeredTunnelDigests = new HashMap<>();
  /** What each tunnel said, when last offered a plan, still needs a restart; named with its path. */
  private final Map<String, List<String>> tunnelRestartNeeded = new HashMap<>();

  private PolicyReloader(Policies policies, GatehouseConfigReader reader, ConfigFile started, InstantSource clock,
      RunningTunnels tunnels) {
    this.policies = Objects.requireNonNull(policies, "policies");
    this.reader = reader;
    this.started = started;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.tunnels = Objects.requireNonNull(tunnels, "tunnels");
    this.lastTextDigest = started == null ? null : started.textDigest();
    if (started != null) {
      offeredTunnelDigests.putAll(started.tunnelDigests());
    }
    this.running = new RunningPolicies(policies.current(), policies.inspectionTimeout(), clock.instant(),
        ReloadTrigger.START);
  }

  /**
   * A reloader for an appliance started from {@code started}.
   *
   * @param policies the appliance's policies, already running {@code started}'s set
   */
  public static PolicyReloader forFile(Policies policies, GatehouseConfigReader reader, ConfigFile started,
      InstantSource clock) {
    return forFile(policies, reader, started, clock, RunningTunnels.NONE);
  }

  /**
   * A reloader for an appliance started from {@code started} that runs {@code tunnels}.
   *
   * @param policies the appliance's policies, already running {@code started}'s set
   * @param tunnels the tunnels started from {@code started}'s plans, by name
   */
  public static PolicyReloader forFile(Policies policies, GatehouseConfigReader reader, ConfigFile started,
      InstantSource clock, RunningTunnels tunnels) {
    return new PolicyReloader(policies, Objects.requireNonNull(reader, "reader"),
        Objects.requireNonNull(started, "started"), clock, tunnels);
  }

  /** A reloader for an appliance on the built-in defaults: every reload answers {@link ReloadOutcome.NoFile}. */
  public static PolicyReloader withoutFile(Policies policies, InstantSource clock) {
    return new PolicyReloader(policies, null, null, clock, RunningTunnels.NONE);
  }

  /** The file reloads read, or empty on the built-in defaults. */
  public Optional<Path> file() {
    return started == null ? Optional.empty() : Optional.of(started.path());
  }

  /** The running policies and when they were loaded. */
  public RunningPolicies running() {
    return running;
  }

  /** Reloads now, on the calling thread. */
  public synchronized ReloadOutcome reload(ReloadTrigger trigger) {
    return reload(trigger, false);
  }

  /** Reloads on the calling thread unless the file's text is the one last read. */
  public synchronized ReloadOutcome reloadIfChanged(ReloadTrigger trigger) {
    return reload(trigger, true);
  }

  /** Queues a reload on the reload thread. */
  public CompletableFuture<ReloadOutcome> reloadAsync(ReloadTrigger trigger) {
    return submit(() -> reload(trigger));
  }

  /** Queues a reload on the reload thread that does nothing when the text is unchanged. */
  public CompletableFuture<ReloadOutcome> reloadIfChangedAsync(ReloadTrigger trigger) {
    return submit(() -> reloadIfChanged(trigger));
  }

  private CompletableFuture<ReloadOutcome> submit(java.util.function.Supplier<ReloadOutcome> reload) {
    try {
      return CompletableFuture.supplyAsync(reload, thread).whenComplete((outcome, failure) -> {
        if (failure != null) {
          LOG.warn("event=policy-reload-failed cause=\"{}\"", failure.toString());
        }
      });
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(new IllegalStateException("the appliance is stopping", e));
    }
  }

  private ReloadOutcome reload(ReloadTrigger trigger, boolean onlyIfChanged) {
    if (started == null) {
      LOG.info("event=policy-reload-skipped trigger={} reason=\"no configuration file: running on the built-in"
          + " defaults\"", trigger);
      return new ReloadOutcome.NoFile();
    }

    // read the text once: what is validated and what is compared are the same bytes
    Path path = started.path();
    String text;
    try {
      text = GatehouseConfigReader.readText(path);
    } catch (ConfigException e) {
      lastTextDigest = null;
      return refused(trigger, e);
    }
    String digest = ConfigFile.textDigest(text);
    if (onlyIfChanged && digest.equals(lastTextDigest)) {
      LOG.debug("event=policy-reload-skipped trigger={} reason=unchanged", trigger);
      return new ReloadOutcome.Unchanged();
    }
    lastTextDigest = digest;

    // validate the whole file
    ConfigFile next;
    try {
      next = ConfigFile.parse(reader, path, text);
    } catch (ConfigException e) {
      return refused(trigger, e);
    }

    // apply the policies, and only them
    PolicySet set = next.config().policies().set();
    policies.replace(set, next.config().policies().inspectionTimeout());
    running = new RunningPolicies(set, policies.inspectionTimeout(), clock.instant(), trigger);
    LOG.info("event=policies-reloaded trigger={} file={} policies={} default-action={}", trigger, path,
        set.policies().size(), set.defaultVerdict().action().configName());

    // then what tunnels can change in place
    List<String> applied = new ArrayList<>();
    List<String> tunnelsNeedingRestart = reconfigureTunnels(trigger, next, applied);
    List<String> needRestart = warnAboutRestart(trigger, next, tunnelsNeedingRestart);
    return new ReloadOutcome.Reloaded(set.policies().size(), needRestart, applied);
  }

  /**
   * Offers each running tunnel whose item changed since it was last offered one its new plan,
   * and names what needs a restart: a tunnel added or removed ({@code tunnels.NAME}), one that
   * changes nothing in place (the same), a setting a tunnel cannot change while it runs
   * ({@code tunnels.NAME.KEY}). A tunnel's answer stands until its item changes again, so a
   * reload of the same file offers nothing twice and still names what waits for a restart.
   */
  private List<String> reconfigureTunnels(ReloadTrigger trigger, ConfigFile next, List<String> applied) {
    Map<String, TunnelPlan> plans = new HashMap<>();
    next.config().tunnels().forEach(plan -> plans.put(plan.context().name(), plan));
    Set<String> names = new TreeSet<>(started.tunnelDigests().keySet());
    names.addAll(next.tunnelDigests().keySet());
    List<String> restartNeeded = new ArrayList<>();
    for (String name : names) {
      String digest = next.tunnelDigests().get(name);
      Optional<Tunnel> running = started.tunnelDigests().containsKey(name) ? tunnels.find(name) : Optional.empty();
      if (digest == null || running.isEmpty()) {
        // added or removed: the set of tunnels is the one the appliance started with
        if (!Objects.equals(digest, started.tunnelDigests().get(name))) {
          restartNeeded.add(ConfigFile.TUNNELS_SECTION + "." + name);
        }
        continue;
      }
      if (!digest.equals(offeredTunnelDigests.get(name))) {
        Optional<List<String>> needs = offer(trigger, running.get(), plans.get(name), applied);
        if (needs.isEmpty()) {
          // it failed: the next reload offers the plan again
          restartNeeded.add(ConfigFile.TUNNELS_SECTION + "." + name);
          continue;
        }
        offeredTunnelDigests.put(name, digest);
        tunnelRestartNeeded.put(name, needs.get());
      }
      restartNeeded.addAll(tunnelRestartNeeded.getOrDefault(name, List.of()));
    }
    return restartNeeded;
  }

  /** What still needs a restart once {@code tunnel} took what it could of {@code plan}; empty if it threw. */
  private Optional<List<String>> offer(ReloadTrigger trigger, Tunnel tunnel, TunnelPlan plan, List<String> applied) {
    String name = tunnel.context().name();
    String path = ConfigFile.TUNNELS_SECTION + "." + name;
    TunnelReconfiguration result;
    try {
      result = tunnel.reconfigure(plan);
    } catch (RuntimeException e) {
      LOG.warn("event=tunnel-reload-failed trigger={} tunnel={} cause=\"{}\"", trigger, name, e.toString());
      return Optional.empty();
    }
    result.applied().forEach(change -> applied.add(name + ": " + change));
    if (!result.applied().isEmpty()) {
      LOG.info("event=tunnel-reloaded trigger={} tunnel={} applied=\"{}\"", trigger, name,
          String.join("; ", result.applied()));
    }
    return Optional.of(result.inPlace()
        ? result.restartNeeded().stream().map(key -> path + "." + key).toList()
        : List.of(path));
  }

  private ReloadOutcome refused(ReloadTrigger trigger, ConfigException e) {
    // ConfigError messages never quote a secret's value, so they may be logged as they are.
    LOG.warn("event=policy-reload-refused trigger={} file={} errors={} running=kept", trigger, started.path(),
        e.errors().size());
    for (ConfigError error : e.errors()) {
      LOG.warn("event=policy-reload-error trigger={} error=\"{}\"", trigger, error);
    }
    return new ReloadOutcome.Refused(e.errors());
  }

  /** Names the settings that changed but need a restart, warning once per distinct change. */
  private List<String> warnAboutRestart(ReloadTrigger trigger, ConfigFile next, List<String> tunnelsNeedingRestart) {
    List<String> changed = new ArrayList<>(next.sectionsNeedingRestart(started));
    changed.addAll(tunnelsNeedingRestart);
    changed.sort(null);
    String warning = changed.isEmpty() ? ""
        : String.join(",", changed) + " " + next.sectionDigests() + " " + next.tunnelDigests();
    if (!changed.isEmpty() && !warning.equals(lastRestartWarning)) {
      LOG.warn("event=restart-needed trigger={} sections={} reason=\"only policies and tunnel peers apply on"
          + " reload; the rest of the file runs as it was at start\"", trigger, String.join(",", changed));
    }
    lastRestartWarning = warning;
    return changed;
  }

  /** Stops the reload thread; queued reloads are dropped. */
  @Override
  public void close() {
    thread.shutdownNow();
  }
}

package dev.gatehouse.appliance.reload;

import dev.gatehouse.appliance.config.ConfigFile;
import dev.gatehouse.appliance.config.GatehouseConfigReader;
import dev.gatehouse.core.config.ConfigError;
import dev.gatehouse.core.config.ConfigException;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.policy.PolicySet;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the network policies from the configuration file the appliance started with.
 *
 * <p>A reload re-reads and validates the whole file, exactly as {@code gatehouse run} does.
 * When the file is invalid, the running policies stay and every error is logged at WARN,
 * one line each. When it is valid, its policies replace the running ones
 * ({@link Policies#replace}); nothing else in it takes effect, and a WARN line names the
 * sections that changed and need a restart.
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
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("gatehouse-reload").factory());
  private volatile RunningPolicies running;
  /** The text last read, valid or not: a file event for the same text is no change. */
  private String lastTextDigest;
  /** The restart-needing changes last warned about, so that one change is warned about once. */
  private String lastRestartWarning = "";

  private PolicyReloader(Policies policies, GatehouseConfigReader reader, ConfigFile started, InstantSource clock) {
    this.policies = Objects.requireNonNull(policies, "policies");
    this.reader = reader;
    this.started = started;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.lastTextDigest = started == null ? null : started.textDigest();
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
    return new PolicyReloader(policies, Objects.requireNonNull(reader, "reader"),
        Objects.requireNonNull(started, "started"), clock);
  }

  /** A reloader for an appliance on the built-in defaults: every reload answers {@link ReloadOutcome.NoFile}. */
  public static PolicyReloader withoutFile(Policies policies, InstantSource clock) {
    return new PolicyReloader(policies, null, null, clock);
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
    List<String> needRestart = warnAboutRestart(trigger, next);
    return new ReloadOutcome.Reloaded(set.policies().size(), needRestart);
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
  private List<String> warnAboutRestart(ReloadTrigger trigger, ConfigFile next) {
    List<String> changed = new ArrayList<>(next.sectionsNeedingRestart(started));
    String warning = changed.isEmpty() ? "" : String.join(",", changed) + " " + next.sectionDigests();
    if (!changed.isEmpty() && !warning.equals(lastRestartWarning)) {
      LOG.warn("event=restart-needed trigger={} sections={} reason=\"only policies apply on reload; the rest of"
          + " the file runs as it was at start\"", trigger, String.join(",", changed));
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

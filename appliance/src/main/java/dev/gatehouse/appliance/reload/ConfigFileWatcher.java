package dev.gatehouse.appliance.reload;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls back when the configuration file may have changed, on a thread of its own.
 *
 * <p>It watches the file's directory rather than the file, because editors and deployment
 * tools rarely write in place: vim and many others write a new file and rename it over the
 * old one, and a Kubernetes ConfigMap volume swaps a {@code ..data} symlink to a new
 * directory, so the file's path never sees an event of its own. Events come in bursts (a
 * truncate then a write, a create then a rename), so the callback runs once the directory
 * has been quiet for the debounce interval. The callback decides whether the text really
 * changed.
 */
public final class ConfigFileWatcher implements AutoCloseable {
  /** Ours: longer than an editor's save burst, short enough to feel immediate. */
  public static final Duration DEFAULT_DEBOUNCE = Duration.ofMillis(250);
  /** The symlink a Kubernetes ConfigMap or Secret volume swaps to publish a new version. */
  static final String KUBERNETES_DATA_LINK = "..data";

  private static final Logger LOG = LoggerFactory.getLogger(ConfigFileWatcher.class);

  private final Path file;
  private final Path fileName;
  private final Duration debounce;
  private final Runnable onChange;
  private final WatchService watchService;
  private final Thread thread;

  private ConfigFileWatcher(Path file, Duration debounce, Runnable onChange) throws IOException {
    this.file = file.toAbsolutePath();
    this.fileName = this.file.getFileName();
    this.debounce = Objects.requireNonNull(debounce, "debounce");
    this.onChange = Objects.requireNonNull(onChange, "onChange");
    this.watchService = FileSystems.getDefault().newWatchService();
    this.thread = Thread.ofPlatform().daemon().name("gatehouse-config-watch").unstarted(this::run);
  }

  /**
   * Starts watching {@code file}'s directory.
   *
   * @throws IOException when the directory cannot be watched
   */
  public static ConfigFileWatcher start(Path file, Duration debounce, Runnable onChange) throws IOException {
    ConfigFileWatcher watcher = new ConfigFileWatcher(file, debounce, onChange);
    try {
      watcher.file.getParent().register(watcher.watchService, StandardWatchEventKinds.ENTRY_CREATE,
          StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
    } catch (IOException | RuntimeException e) {
      watcher.watchService.close();
      throw e;
    }
    watcher.thread.start();
    LOG.info("event=config-watch-started file={}", watcher.file);
    return watcher;
  }

  private void run() {
    boolean pending = false;
    long deadlineNanos = 0;
    try {
      while (true) {
        WatchKey key = pending
            ? watchService.poll(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)
            : watchService.take();
        if (key != null) {
          boolean concernsFile = concernsFile(key);
          if (!key.reset()) {
            LOG.warn("event=config-watch-stopped file={} reason=\"the directory is gone\"", file);
            return;
          }
          if (concernsFile) {
            pending = true;
            deadlineNanos = System.nanoTime() + debounce.toNanos();
          }
        }
        if (pending && System.nanoTime() - deadlineNanos >= 0) {
          pending = false;
          notifyChange();
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closed: the appliance is stopping
    }
  }

  private boolean concernsFile(WatchKey key) {
    boolean concerns = false;
    for (WatchEvent<?> event : key.pollEvents()) {
      Object name = event.context();
      concerns |= event.kind() == StandardWatchEventKinds.OVERFLOW
          || fileName.equals(name)
          || name instanceof Path p && p.toString().equals(KUBERNETES_DATA_LINK);
    }
    return concerns;
  }

  private void notifyChange() {
    try {
      onChange.run();
    } catch (RuntimeException e) {
      // A failing callback must not stop the watching; the next change tries again.
      LOG.warn("event=config-watch-callback-failed file={} cause=\"{}\"", file, e.toString());
    }
  }

  /** Stops watching. */
  @Override
  public void close() {
    try {
      watchService.close();
    } catch (IOException e) {
      LOG.debug("event=config-watch-close-failed cause=\"{}\"", e.toString());
    }
    thread.interrupt();
  }
}

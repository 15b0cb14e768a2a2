package dev.gatehouse.core.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Collects the errors of one validation pass, so that a user sees every mistake in a file
 * at once instead of fixing them one run at a time.
 */
public final class ConfigErrors {
  private final List<ConfigError> errors = new ArrayList<>();

  /** Records an error at {@code node}. */
  public void add(ConfigNode node, String message) {
    errors.add(new ConfigError(node.path(), node.line(), message));
  }

  /** Records an error at a path with no node of its own (a missing key, say). */
  public void add(String path, int line, String message) {
    errors.add(new ConfigError(path, line, message));
  }

  public boolean isEmpty() {
    return errors.isEmpty();
  }

  /** The errors sorted by line, then path, as a reader walks the file. */
  public List<ConfigError> list() {
    List<ConfigError> sorted = new ArrayList<>(errors);
    sorted.sort(Comparator.comparingInt(ConfigError::line).thenComparing(ConfigError::path));
    return sorted;
  }

  /** Throws when anything was recorded. */
  public void throwIfAny(String source) throws ConfigException {
    if (!errors.isEmpty()) {
      throw new ConfigException(source, list());
    }
  }
}

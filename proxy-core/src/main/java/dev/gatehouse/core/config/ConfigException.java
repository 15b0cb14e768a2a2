package dev.gatehouse.core.config;

import java.util.List;
import java.util.stream.Collectors;

/** A configuration that was refused, with every error found in it. */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient List<ConfigError> errors;

  public ConfigException(String source, List<ConfigError> errors) {
    super(describe(source, errors));
    this.errors = List.copyOf(errors);
  }

  /** The errors in document order. */
  public List<ConfigError> errors() {
    return errors;
  }

  private static String describe(String source, List<ConfigError> errors) {
    return errors.size() + (errors.size() == 1 ? " error" : " errors") + " in " + source + ":\n  "
        + errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n  "));
  }
}

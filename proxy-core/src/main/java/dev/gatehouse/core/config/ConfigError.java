package dev.gatehouse.core.config;

/**
 * One thing wrong with a configuration file.
 *
 * @param path where in the document, as a reader would write it ({@code tunnels[1].mtu})
 * @param line the 1-based line in the source, or 0 when the whole document is concerned
 * @param message what was expected and what was found; never a secret's value
 */
public record ConfigError(String path, int line, String message) {

  /** The form every tool prints: {@code tunnels[1].mtu: expected 576..9000, got 70000 (line 12)}. */
  @Override
  public String toString() {
    String where = path.isEmpty() ? "(document)" : path;
    return line > 0 ? where + ": " + message + " (line " + line + ")" : where + ": " + message;
  }
}

package dev.gatehouse.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * Where {@code {file: ...}} and {@code {env: ...}} secrets are read from: the real file
 * system and environment, or fixed values in tests.
 */
public interface SecretSource {

  /** Reads a secret file; one trailing newline is dropped, as editors add one. */
  Optional<Secret> file(String path);

  /** Reads an environment variable. */
  Optional<Secret> env(String name);

  /** The process's own files and environment. */
  static SecretSource system() {
    return of(System.getenv());
  }

  /** Real files, and the given variables as the environment. */
  static SecretSource of(Map<String, String> environment) {
    return new SecretSource() {
      @Override
      public Optional<Secret> file(String path) {
        try {
          byte[] bytes = Files.readAllBytes(Path.of(path));
          int end = bytes.length;
          if (end > 0 && bytes[end - 1] == '\n') {
            end--;
            if (end > 0 && bytes[end - 1] == '\r') {
              end--;
            }
          }
          Secret secret = Secret.of(Arrays.copyOf(bytes, end));
          Arrays.fill(bytes, (byte) 0);
          return Optional.of(secret);
        } catch (IOException | RuntimeException e) {
          return Optional.empty();
        }
      }

      @Override
      public Optional<Secret> env(String name) {
        return Optional.ofNullable(environment.get(name)).map(Secret::of);
      }
    };
  }
}

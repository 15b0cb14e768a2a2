package dev.gatehouse.appliance.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** curl as the real client: the proxy must work for what browsers and tools send. */
public final class Curl {

  private static final long TIMEOUT_SECONDS = 30;

  /** What one curl run printed and returned. */
  public record Result(int exitCode, String stdout, String stderr) {}

  private Curl() {}

  /**
   * Fails the calling test where curl is not installed: scripts/provision installs it, and a
   * test that cannot run must fail rather than skip.
   */
  public static void requireInstalled() {
    boolean found = false;
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      found |= Files.isExecutable(Path.of(dir, "curl"));
    }
    assertTrue(found, "curl is not installed: run scripts/provision (scripts/test does)");
  }

  /** Runs curl with {@code args}, without any proxy settings from the environment. */
  public static Result run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add("curl");
    command.add("--max-time");
    command.add(Long.toString(TIMEOUT_SECONDS));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> env = builder.environment();
    for (String name : List.of("http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy",
        "ALL_PROXY", "no_proxy", "NO_PROXY")) {
      env.remove(name);
    }

    Process process = builder.start();
    Future<Void> stderrReader;
    StringBuilder stderr = new StringBuilder();
    stderrReader = Background.run("curl-stderr", () ->
        stderr.append(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)));
    String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(TIMEOUT_SECONDS + 5, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("curl did not finish: " + command);
    }
    try {
      stderrReader.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("could not read curl's stderr", e);
    }
    return new Result(process.exitValue(), stdout, stderr.toString());
  }
}

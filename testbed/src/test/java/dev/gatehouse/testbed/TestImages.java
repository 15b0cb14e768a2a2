package dev.gatehouse.testbed;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The images every end-to-end topology is built from. The Debian base comes from
 * {@code scripts/provision} (no registry is reachable); the appliance image is made here from
 * the packaged appliance and a runtime jlink'd from the JDK running the tests; images are
 * rebuilt from cached layers when nothing changed.
 */
final class TestImages {
  static final String BASE = "gatehouse/debian:bookworm";
  static final String APPLIANCE = "gatehouse/appliance:test";
  static final String ORIGIN = "gatehouse/origin:test";

  /** The modules the appliance needs from the JDK (checked by starting it in a test). */
  private static final List<String> RUNTIME_MODULES = List.of(
      "java.base", "java.logging", "java.management", "java.naming", "java.xml", "jdk.unsupported",
      "jdk.net", "java.sql");

  private static volatile boolean built;

  private TestImages() {}

  /** Builds the appliance and origin images once per test JVM; fails, never skips. */
  static synchronized void ensureBuilt() {
    if (built) {
      return;
    }
    if (!DockerClientFactory.instance().isDockerAvailable()) {
      throw new IllegalStateException("no Docker engine: run scripts/provision (scripts/test does) first");
    }
    try {
      DockerClientFactory.instance().client().inspectImageCmd(BASE).exec();
    } catch (RuntimeException e) {
      throw new IllegalStateException("image " + BASE + " is missing: run scripts/provision first", e);
    }
    try {
      build(APPLIANCE, applianceContext());
      build(ORIGIN, resource("origin"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    built = true;
  }

  private static void build(String name, Path context) {
    // deleteOnExit=false keeps the image (and its layers) for the next run.
    new ImageFromDockerfile(name, false).withFileFromPath(".", context).get();
  }

  private static Path applianceContext() throws IOException {
    Path distribution = Path.of(System.getProperty("gatehouse.distribution", "../appliance/target/gatehouse"));
    if (!Files.isDirectory(distribution.resolve("lib"))) {
      throw new IllegalStateException("no packaged appliance at " + distribution.toAbsolutePath()
          + ": build it first (mvn package, which scripts/test runs)");
    }
    Path context = Path.of("target", "images", "appliance");
    deleteTree(context);
    Files.createDirectories(context);
    copyTree(resource("appliance"), context);
    copyTree(distribution, context.resolve("gatehouse"));
    Files.setPosixFilePermissions(context.resolve("gatehouse/bin/gatehouse"),
        PosixFilePermissions.fromString("rwxr-xr-x"));
    jlink(Path.of("target", "images", "runtime"));
    copyTree(Path.of("target", "images", "runtime"), context.resolve("runtime"));
    return context;
  }

  /** A runtime with just the modules the appliance uses, made once per build directory. */
  private static void jlink(Path output) throws IOException {
    if (Files.isExecutable(output.resolve("bin/java"))) {
      return;
    }
    deleteTree(output);
    ToolProvider jlink = ToolProvider.findFirst("jlink")
        .orElseThrow(() -> new IllegalStateException("the test JDK has no jlink"));
    StringWriter log = new StringWriter();
    int code = jlink.run(new PrintWriter(log), new PrintWriter(log),
        "--add-modules", String.join(",", RUNTIME_MODULES),
        "--strip-debug", "--no-man-pages", "--no-header-files",
        "--output", output.toString());
    if (code != 0) {
      throw new IllegalStateException("jlink failed (" + code + "): " + log);
    }
  }

  private static Path resource(String image) {
    return Path.of("src", "test", "resources", "images", image);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path source : (Iterable<Path>) paths::iterator) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(path);
      }
    }
  }
}

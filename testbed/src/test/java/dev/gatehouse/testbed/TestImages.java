package dev.gatehouse.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The images every end-to-end topology is built from. The Debian base comes from
 * {@code scripts/provision} (no registry is reachable); the appliance image from
 * {@code scripts/build-image}, as users build it; the others from {@code images/} in the test
 * resources. Images are kept, so later runs rebuild from cached layers.
 */
public final class TestImages {
  public static final String BASE = "gatehouse/debian:bookworm";
  /**
   * The appliance's tag, {@code gatehouse/appliance:test} unless the system property
   * {@code gatehouse.test.applianceImage} names another: a second worktree's runs then build
   * and use their own image, not the one another checkout's tests are using.
   */
  public static final String APPLIANCE = System.getProperty("gatehouse.test.applianceImage",
      "gatehouse/appliance:test");
  public static final String ORIGIN = "gatehouse/origin:test";
  /**
   * The site image's tag, {@code gatehouse/site:test} unless the system property
   * {@code gatehouse.test.siteImage} names another, for the same reason as {@link #APPLIANCE}:
   * a checkout that changes the site image builds and uses its own.
   */
  public static final String SITE = System.getProperty("gatehouse.test.siteImage", "gatehouse/site:test");
  /** Debian's haproxy, the relay benchmarks measure Gatehouse against. */
  public static final String HAPROXY = "gatehouse/haproxy:test";
  /** Debian's wireguard-go and haproxy on one host: the edge the WireGuard benchmark measures against. */
  public static final String EDGE = "gatehouse/edge:test";
  /** Debian's Open vSwitch and haproxy on one host: the edge the GRE benchmark measures against. */
  public static final String GRE_EDGE = "gatehouse/gre-edge:test";

  private static volatile boolean built;
  private static volatile boolean siteBuilt;

  private TestImages() {}

  /** Builds the appliance, origin and site images once per test JVM; fails, never skips. */
  public static synchronized void ensureBuilt() {
    if (built) {
      return;
    }
    requireBase();
    try {
      buildAppliance();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while building " + APPLIANCE, e);
    }
    // deleteOnExit=false keeps the image (and its layers) for the next run.
    new ImageFromDockerfile(ORIGIN, false).withFileFromPath(".", resource("origin")).get();
    buildSite();
    built = true;
  }

  /**
   * Builds only the site image, for tests whose every host is a site (two WireGuard peers,
   * say): they need not wait for the appliance image, nor replace it.
   */
  public static synchronized void ensureSiteBuilt() {
    if (built || siteBuilt) {
      return;
    }
    requireBase();
    buildSite();
  }

  private static void requireBase() {
    if (!DockerClientFactory.instance().isDockerAvailable()) {
      throw new IllegalStateException("no Docker engine: run scripts/provision (scripts/test does) first");
    }
    try {
      DockerClientFactory.instance().client().inspectImageCmd(BASE).exec();
    } catch (RuntimeException e) {
      throw new IllegalStateException("image " + BASE + " is missing: run scripts/provision first", e);
    }
  }

  private static void buildSite() {
    new ImageFromDockerfile(SITE, false).withFileFromPath(".", resource("site")).get();
    siteBuilt = true;
  }

  /** Builds the baseline peers' images too; only benchmarks need them. */
  public static synchronized void ensureBaselinesBuilt() {
    ensureBuilt();
    new ImageFromDockerfile(HAPROXY, false).withFileFromPath(".", resource("haproxy")).get();
    new ImageFromDockerfile(EDGE, false).withFileFromPath(".", resource("edge")).get();
    new ImageFromDockerfile(GRE_EDGE, false).withFileFromPath(".", resource("gre-edge")).get();
  }

  /** The appliance image, made the way users make it: by scripts/build-image. */
  private static void buildAppliance() throws IOException, InterruptedException {
    Path root = Path.of("..").toAbsolutePath().normalize();
    Path log = Path.of("target", "build-image.log").toAbsolutePath();
    Files.createDirectories(log.getParent());
    Process build = new ProcessBuilder(root.resolve("scripts/build-image").toString(), APPLIANCE)
        .directory(root.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    if (!build.waitFor(10, TimeUnit.MINUTES) || build.exitValue() != 0) {
      build.destroyForcibly();
      throw new IllegalStateException("scripts/build-image failed; its output:\n" + Files.readString(log));
    }
  }

  private static Path resource(String image) {
    return Path.of("src", "test", "resources", "images", image);
  }
}

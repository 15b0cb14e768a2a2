package dev.gatehouse.testbed.quic;

import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.testcontainers.containers.GenericContainer;

/**
 * Runs a main class of this test class path inside a container, on the host's own JDK: the
 * containers are Debian like the host, so the JDK's binaries run there unchanged, and no
 * image needs a Java of its own. The JDK ({@code java.home}) and each class path entry are
 * bind-mounted read-only at the same paths inside, so that one command line is right on
 * both sides.
 *
 * <p>Mounts can only be added before a container starts: {@link #mountInto} it first, then
 * run {@link #command} as its command ({@code withCommand}) or with {@code execInContainer}.
 * The mounts are added to the container's create command rather than through
 * {@code withFileSystemBind}: for those, Testcontainers first checks that mounting works by
 * pulling a tiny image from a registry, which this machine cannot reach, and spends minutes
 * retrying before it goes on anyway.
 *
 * <pre>
 * ContainerJava java = ContainerJava.withNetty(Http3Probe.class);
 * GenericContainer&lt;?&gt; site = java.mountInto(new GenericContainer&lt;&gt;(TestImages.SITE));
 * site.start();
 * site.execInContainer(java.command("--insecure", "https://origin.test/"));
 * </pre>
 */
public final class ContainerJava {
  /**
   * Arguments for the JVM inside: Netty's native QUIC library loads without the JDK's
   * restricted-method warning, and Netty tracks every buffer as in the test JVMs (its leak
   * reports land in the container's output).
   */
  private static final List<String> JVM_OPTIONS = List.of(
      "--enable-native-access=ALL-UNNAMED", "-Dio.netty.leakDetection.level=paranoid");

  private final Path javaHome;
  private final List<Path> classpath;
  private final String mainClass;

  private ContainerJava(Path javaHome, List<Path> classpath, String mainClass) {
    this.javaHome = javaHome;
    this.classpath = List.copyOf(classpath);
    this.mainClass = mainClass;
  }

  /**
   * {@code main} with the least it needs here: the class path entry that holds it and
   * Netty's jars, which is all that the probe and the origin use.
   */
  public static ContainerJava withNetty(Class<?> main) {
    List<Path> classpath = new ArrayList<>();
    classpath.add(locationOf(main));
    testClasspath().filter(entry -> entry.getFileName().toString().startsWith("netty-"))
        .forEach(classpath::add);
    return new ContainerJava(hostJavaHome(), classpath, main.getName());
  }

  /** {@code main} with this JVM's whole class path, for a main that needs more than Netty. */
  public static ContainerJava withTestClasspath(Class<?> main) {
    return new ContainerJava(hostJavaHome(), testClasspath().toList(), main.getName());
  }

  /**
   * Adds read-only bind mounts of the JDK and of every class path entry to
   * {@code container}, which must not have started; returns it.
   */
  public <C extends GenericContainer<?>> C mountInto(C container) {
    if (container.getContainerId() != null) {
      throw new IllegalStateException("mounts must be added before the container starts");
    }
    List<Bind> binds = binds();
    container.withCreateContainerCmdModifier(create -> {
      HostConfig host = create.getHostConfig();
      List<Bind> all = new ArrayList<>();
      if (host.getBinds() != null) {
        all.addAll(List.of(host.getBinds()));
      }
      all.addAll(binds);
      host.withBinds(all);
    });
    return container;
  }

  /**
   * The read-only mounts {@link #mountInto} adds, each at its host path: the JDK, the trust
   * store it links to when that lies outside it (Debian's packaging does so), and each class
   * path entry.
   */
  public List<Bind> binds() {
    List<Path> paths = new ArrayList<>();
    paths.add(javaHome);
    trustStoreOutsideJavaHome().ifPresent(paths::add);
    paths.addAll(classpath);
    return paths.stream()
        .map(path -> new Bind(path.toString(), new Volume(path.toString()), AccessMode.ro))
        .toList();
  }

  /** The command that runs the main class with {@code args}, inside or outside a container. */
  public String[] command(String... args) {
    List<String> command = new ArrayList<>();
    command.add(javaHome.resolve("bin").resolve("java").toString());
    command.addAll(JVM_OPTIONS);
    command.add("-cp");
    command.add(String.join(File.pathSeparator, classpath.stream().map(Path::toString).toList()));
    command.add(mainClass);
    command.addAll(List.of(args));
    return command.toArray(String[]::new);
  }

  /** The class path entries the command names, each also mounted. */
  public List<Path> classpath() {
    return classpath;
  }

  /** The JDK the command runs, also mounted. */
  public Path javaHome() {
    return javaHome;
  }

  private Optional<Path> trustStoreOutsideJavaHome() {
    Path trustStore = javaHome.resolve("lib").resolve("security").resolve("cacerts");
    try {
      Path real = trustStore.toRealPath();
      return real.startsWith(javaHome.toRealPath()) ? Optional.empty() : Optional.of(real);
    } catch (IOException e) {
      // no trust store at all: the JDK's default trust fails on both sides alike
      return Optional.empty();
    }
  }

  private static Path hostJavaHome() {
    return Path.of(System.getProperty("java.home")).toAbsolutePath();
  }

  private static Stream<Path> testClasspath() {
    // entries that do not exist (Maven names some that it never made) cannot be mounted
    return Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(entry -> !entry.isEmpty())
        .map(entry -> Path.of(entry).toAbsolutePath())
        .filter(Files::exists);
  }

  private static Path locationOf(Class<?> main) {
    try {
      return Path.of(main.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot tell where " + main.getName() + " was loaded from", e);
    }
  }
}

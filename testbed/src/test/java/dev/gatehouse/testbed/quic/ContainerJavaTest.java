package dev.gatehouse.testbed.quic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import dev.gatehouse.testbed.TestImages;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.core.CreateContainerCmdModifier;

/** The mounts and command line ContainerJava gives a container, read before it starts. */
class ContainerJavaTest {

  @Test
  void mountsTheJdkAndEachClasspathEntryReadOnlyAtTheSamePath() {
    ContainerJava java = ContainerJava.withNetty(Http3Probe.class);

    Map<String, Bind> binds = java.binds().stream()
        .collect(Collectors.toMap(bind -> bind.getVolume().getPath(), bind -> bind));

    List<Path> expected = new ArrayList<>(java.classpath());
    expected.add(java.javaHome());
    for (Path mounted : expected) {
      Bind bind = binds.get(mounted.toString());
      assertEquals(mounted.toString(), bind == null ? null : bind.getPath(), "host path of " + mounted);
      assertEquals(AccessMode.ro, bind.getAccessMode(), "access to " + mounted);
    }
  }

  @Test
  void addsItsMountsToTheCreateCommandAfterTheContainersOwn() {
    ContainerJava java = ContainerJava.withNetty(Http3Probe.class);
    GenericContainer<?> container = new GenericContainer<>(TestImages.SITE);
    Bind own = new Bind("/srv/data", new Volume("/data"));
    HostConfig host = HostConfig.newHostConfig().withBinds(own);

    java.mountInto(container);
    for (CreateContainerCmdModifier modifier : container.getCreateContainerCmdModifiers()) {
      modifier.modify(createCommandWith(host));
    }

    List<Bind> expected = new ArrayList<>(List.of(own));
    expected.addAll(java.binds());
    assertEquals(expected.toString(), List.of(host.getBinds()).toString());
  }

  @Test
  void keepsTheClasspathToTheMainsEntryAndNettyJars() {
    List<Path> classpath = ContainerJava.withNetty(Http3Probe.class).classpath();

    assertTrue(classpath.getFirst().endsWith(Path.of("target", "test-classes")), classpath.toString());
    assertTrue(classpath.stream().skip(1).allMatch(entry -> name(entry).startsWith("netty-")),
        classpath.toString());
    assertTrue(classpath.stream().anyMatch(entry -> name(entry).startsWith("netty-codec-http3-")),
        classpath.toString());
    List<String> nativeQuic = classpath.stream().map(ContainerJavaTest::name)
        .filter(name -> name.startsWith("netty-codec-native-quic-")).toList();
    assertEquals(List.of("netty-codec-native-quic-4.2.18.Final-linux-x86_64.jar"), nativeQuic);
  }

  @Test
  void commandRunsTheHostJdkOnTheMountedClasspath() {
    ContainerJava java = ContainerJava.withNetty(Http3Origin.class);

    List<String> command = List.of(java.command("--port", "4433"));

    assertEquals(java.javaHome().resolve("bin/java").toString(), command.getFirst());
    int classpathAt = command.indexOf("-cp") + 1;
    assertEquals(java.classpath().stream().map(Path::toString).collect(Collectors.joining(":")),
        command.get(classpathAt));
    assertEquals(List.of(Http3Origin.class.getName(), "--port", "4433"),
        command.subList(classpathAt + 1, command.size()));
  }

  private static String name(Path entry) {
    return entry.getFileName().toString();
  }

  /** A create command that has only a host configuration, all that the mounts touch. */
  private static CreateContainerCmd createCommandWith(HostConfig host) {
    return (CreateContainerCmd) Proxy.newProxyInstance(ContainerJavaTest.class.getClassLoader(),
        new Class<?>[] {CreateContainerCmd.class}, (proxy, method, args) -> {
          if (method.getName().equals("getHostConfig")) {
            return host;
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }
}

package dev.gatehouse.appliance;

import static dev.gatehouse.appliance.Commands.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.appliance.Commands.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatehouseCommandTest {

  @Test
  void checkConfigAcceptsAValidFile(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("ok.yaml"), "proxy:\n  tcp:\n    connect-timeout: 10s\n");
    Outcome outcome = run("check-config", file.toString());
    assertEquals(0, outcome.exitCode(), outcome.err());
    assertEquals(file + ": valid (0 tunnels)\n", outcome.out());
  }

  @Test
  void checkConfigPrintsEveryErrorAndFails(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("bad.yaml"),
        "proxy:\n  tcp:\n    connect-timeout: 1000h\nadmn: {}\n");
    Outcome outcome = run("check-config", file.toString());
    assertEquals(1, outcome.exitCode());
    assertEquals("", outcome.out());
    assertEquals(file + ": 2 errors\n"
        + "  proxy.tcp.connect-timeout: expected 100ms..2m, got 1000h (line 3)\n"
        + "  admn: unknown setting; expected one of explicit-proxy, admin, proxy, log, tunnels, policies (line 4)\n",
        outcome.err());
  }

  @Test
  void checkConfigReportsPolicyErrorsWithTheOthers(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("bad.yaml"), """
        proxy:
          tcp:
            connect-timeout: 1000h
        policies:
          rules:
            - name: no-ssh
              traffic: net.dst.port === 22
              action: block
        """);
    Outcome outcome = run("check-config", file.toString());
    assertEquals(1, outcome.exitCode());
    assertEquals(file + ": 2 errors\n"
        + "  proxy.tcp.connect-timeout: expected 100ms..2m, got 1000h (line 3)\n"
        + "  policies.rules[0].traffic: column 16: expected '==', got '=' (line 7)\n",
        outcome.err());
  }

  @Test
  void checkConfigNamesAMissingFile(@TempDir Path dir) {
    Outcome outcome = run("check-config", dir.resolve("nope.yaml").toString());
    assertEquals(1, outcome.exitCode());
    assertTrue(outcome.err().contains("cannot read the file: no such file"), outcome.err());
  }

  @Test
  void runRefusesAnInvalidFileWithoutStarting(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("bad.yaml"), "explicit-proxy:\n  listen: nowhere\n");
    Outcome outcome = run("run", "--config", file.toString());
    assertEquals(1, outcome.exitCode());
    assertTrue(outcome.err().contains("explicit-proxy.listen: expected an address and port"), outcome.err());
    assertTrue(outcome.err().contains("not started"), outcome.err());
  }

  @Test
  void versionPrintsTheBuildVersion() {
    Outcome outcome = run("version");
    assertEquals(0, outcome.exitCode());
    assertTrue(outcome.out().matches("gatehouse \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\n"), outcome.out());
    assertEquals(outcome.out(), run("--version").out());
  }

  @Test
  void usageErrorsExitWithTwo() {
    Outcome unknown = run("frobnicate");
    assertEquals(2, unknown.exitCode());
    assertTrue(unknown.err().contains("Unmatched argument"), unknown.err());
    assertEquals(2, run("check-config").exitCode());
    assertEquals(2, run().exitCode());
  }

  @Test
  void helpListsTheCommands() {
    Outcome help = run("--help");
    assertEquals(0, help.exitCode());
    for (String command : new String[] {"run", "check-config", "genkey", "pubkey", "peer-config", "version"}) {
      assertTrue(help.out().contains(command), help.out());
    }
  }
}

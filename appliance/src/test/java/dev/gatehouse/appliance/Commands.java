package dev.gatehouse.appliance;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Runs {@code gatehouse} commands in the test's JVM, capturing what they print. */
final class Commands {

  /** What one invocation printed and returned. */
  record Outcome(int exitCode, String out, String err) {}

  private Commands() {}

  static Outcome run(String... args) {
    return runWithInput("", args);
  }

  /** Runs with {@code stdin} as standard input. */
  static Outcome runWithInput(String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine line = GatehouseCommand.commandLine(
        new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
    line.setOut(new PrintWriter(out, true));
    line.setErr(new PrintWriter(err, true));
    int code = line.execute(args);
    return new Outcome(code, out.toString(), err.toString());
  }
}

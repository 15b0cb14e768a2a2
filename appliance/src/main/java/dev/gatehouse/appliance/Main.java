package dev.gatehouse.appliance;

import picocli.CommandLine;

/** The {@code gatehouse} command. Exit codes: 0 success, 1 failure, 2 usage error. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(GatehouseCommand.commandLine().execute(args));
  }
}

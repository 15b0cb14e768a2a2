package dev.gatehouse.testbed.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The machine a run was taken on. Every container of the run shares its CPUs and kernel,
 * so these facts bound all figures alike.
 *
 * @param nproc CPUs available to the benchmark's JVM, as nproc counts them
 * @param cpuModel the first {@code model name} in /proc/cpuinfo
 * @param memoryBytes MemTotal from /proc/meminfo
 * @param kernel the running kernel's release
 * @param java the JDK that ran the benchmark (the appliance image carries a jlink'd runtime of it)
 */
public record MachineFacts(int nproc, String cpuModel, long memoryBytes, String kernel, String java) {
  private static final Pattern CPU_MODEL = Pattern.compile("(?m)^model name\\s*:\\s*(.+)$");
  private static final Pattern MEM_TOTAL_KIB = Pattern.compile("(?m)^MemTotal:\\s*(\\d+) kB$");

  /** Reads the facts of the machine this JVM runs on; unknown facts read as "unknown" or 0. */
  public static MachineFacts ofThisMachine() {
    String cpu = read("/proc/cpuinfo").map(CPU_MODEL::matcher).filter(Matcher::find)
        .map(m -> m.group(1).trim()).orElse("unknown");
    long memory = read("/proc/meminfo").map(MEM_TOTAL_KIB::matcher).filter(Matcher::find)
        .map(m -> Long.parseLong(m.group(1)) * 1024).orElse(0L);
    String kernel = read("/proc/sys/kernel/osrelease").map(String::trim).orElse("unknown");
    return new MachineFacts(Runtime.getRuntime().availableProcessors(), cpu, memory, kernel,
        Runtime.version().toString());
  }

  private static Optional<String> read(String file) {
    try {
      return Optional.of(Files.readString(Path.of(file)));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}

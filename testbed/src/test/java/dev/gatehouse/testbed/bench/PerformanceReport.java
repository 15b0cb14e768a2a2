package dev.gatehouse.testbed.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The figures of the report, as {@code performance.json} (one object per figure) and
 * {@code PERFORMANCE.md} (a table made from the same objects, and what each figure means).
 * A figure that failed is written with a null value and its reason, never a number. Each
 * figure carries the run it was taken in, so that a run of some benchmarks can keep the
 * figures of the others from an earlier run ({@link #merged}).
 *
 * @param entries every figure with its run, in the order of the report
 */
public record PerformanceReport(List<Entry> entries) {
  /** The spread the report gives: the smallest and the largest run. */
  static final String SPREAD_METHOD = "min..max";
  /** The unit whose values also get the time per decision. */
  static final String DECISIONS_PER_SECOND = "decisions/s";
  private static final String GATEHOUSE = "Gatehouse";
  private static final JsonFactory FACTORY = new JsonFactory();

  /**
   * When, where and at which commit figures were taken.
   *
   * @param date when the run started, to the second
   * @param machine where it ran
   * @param commit the Gatehouse commit measured, as {@code git describe} gives it
   */
  public record Run(Instant date, MachineFacts machine, String commit) {
    /** Keeps the date to the second. */
    public Run {
      date = date.truncatedTo(ChronoUnit.SECONDS);
    }
  }

  /** A figure and the run it was taken in. */
  public record Entry(Figure figure, Run run) {}

  /** Copies the entries. */
  public PerformanceReport {
    entries = List.copyOf(entries);
  }

  /** The figures of one run. */
  public PerformanceReport(List<Figure> figures, Instant date, MachineFacts machine, String commit) {
    this(figures.stream().map(figure -> new Entry(figure, new Run(date, machine, commit))).toList());
  }

  /**
   * The earlier report with {@code latest}'s figures in place of those of the same name;
   * figures new to the report go at its end.
   */
  public static PerformanceReport merged(PerformanceReport earlier, PerformanceReport latest) {
    List<Entry> entries = new ArrayList<>();
    for (Entry entry : earlier.entries) {
      entries.add(latest.find(entry.figure().name()).orElse(entry));
    }
    for (Entry entry : latest.entries) {
      if (earlier.find(entry.figure().name()).isEmpty()) {
        entries.add(entry);
      }
    }
    return new PerformanceReport(entries);
  }

  /** The figures, in order. */
  public List<Figure> figures() {
    return entries.stream().map(Entry::figure).toList();
  }

  /** True when any figure, on either side, has no value. */
  public boolean anyFailed() {
    return entries.stream().anyMatch(entry -> entry.figure().failed());
  }

  /** Reads the report {@link #write} wrote into {@code directory}; empty when there is none. */
  public static PerformanceReport read(Path directory) throws IOException {
    Path file = directory.resolve("performance.json");
    if (!Files.exists(file)) {
      return new PerformanceReport(List.of());
    }
    try {
      return parse(Files.readString(file));
    } catch (IOException | RuntimeException e) {
      throw new IOException(file + " is not a report this runner wrote: " + e.getMessage(), e);
    }
  }

  /** Reads {@link #json()}'s text back; every figure keeps its own run. */
  static PerformanceReport parse(String json) throws IOException {
    List<Entry> entries = new ArrayList<>();
    for (JsonTree object : JsonTree.parse(json).array()) {
      Figure figure = new Figure(required(object, "name"), required(object, "title"),
          required(object, "description"), required(object, "unit"),
          measurement(object, GATEHOUSE), measurement(object, required(object, "baseline", "name")));
      MachineFacts machine = new MachineFacts(object.number("machine", "nproc").orElse(0.0).intValue(),
          required(object, "machine", "cpu"), object.number("machine", "memoryBytes").orElse(0.0).longValue(),
          required(object, "machine", "kernel"), required(object, "machine", "java"));
      entries.add(new Entry(figure,
          new Run(Instant.parse(required(object, "date")), machine, required(object, "commit"))));
    }
    return new PerformanceReport(entries);
  }

  private static Measurement measurement(JsonTree figure, String name) {
    JsonTree side = name.equals(GATEHOUSE) ? figure : figure.child("baseline");
    List<Double> samples = side.array("samples").stream().map(sample -> sample.number().orElseThrow(
        () -> new IllegalArgumentException("a sample of '" + name + "' is not a number"))).toList();
    return new Measurement(name, samples, side.string("failure"));
  }

  private static String required(JsonTree object, String... keys) {
    return object.string(keys).orElseThrow(
        () -> new IllegalArgumentException("a figure has no string at " + String.join(".", keys)));
  }

  private Optional<Entry> find(String name) {
    return entries.stream().filter(entry -> entry.figure().name().equals(name)).findFirst();
  }

  /** Writes performance.json and PERFORMANCE.md into {@code directory}. */
  public void write(Path directory) throws IOException {
    Files.createDirectories(directory);
    Files.writeString(directory.resolve("performance.json"), json());
    Files.writeString(directory.resolve("PERFORMANCE.md"), markdown());
  }

  /** The JSON array, one object per figure, each complete on its own. */
  public String json() {
    StringWriter out = new StringWriter();
    try (JsonGenerator json = FACTORY.createGenerator(out)) {
      json.useDefaultPrettyPrinter();
      json.writeStartArray();
      for (Entry entry : entries) {
        writeFigure(json, entry.figure(), entry.run());
      }
      json.writeEndArray();
    } catch (IOException e) {
      throw new UncheckedIOException("writing JSON to a string cannot fail", e);
    }
    return out + "\n";
  }

  private static void writeFigure(JsonGenerator json, Figure figure, Run run) throws IOException {
    json.writeStartObject();
    json.writeStringField("name", figure.name());
    json.writeStringField("title", figure.title());
    writeMeasurementFields(json, figure.gatehouse(), figure.unit());
    json.writeStringField("unit", figure.unit());
    json.writeObjectFieldStart("baseline");
    json.writeStringField("name", figure.baseline().name());
    writeMeasurementFields(json, figure.baseline(), figure.unit());
    json.writeEndObject();
    writeNumberOrNull(json, "ratio", figure.ratio());
    json.writeStringField("ratioOf", "gatehouse / baseline");
    json.writeStringField("description", figure.description());
    json.writeStringField("date", run.date().toString());
    json.writeStringField("commit", run.commit());
    json.writeObjectFieldStart("machine");
    json.writeNumberField("nproc", run.machine().nproc());
    json.writeStringField("cpu", run.machine().cpuModel());
    json.writeNumberField("memoryBytes", run.machine().memoryBytes());
    json.writeStringField("kernel", run.machine().kernel());
    json.writeStringField("java", run.machine().java());
    json.writeEndObject();
    json.writeEndObject();
  }

  private static void writeMeasurementFields(JsonGenerator json, Measurement measurement, String unit)
      throws IOException {
    writeNumberOrNull(json, "value", measurement.value());
    if (unit.equals(DECISIONS_PER_SECOND)) {
      writeNumberOrNull(json, "nanosPerDecision", nanosEach(measurement.value()));
    }
    json.writeNumberField("runs", measurement.samples().size());
    json.writeArrayFieldStart("samples");
    for (double sample : measurement.samples()) {
      json.writeNumber(sample);
    }
    json.writeEndArray();
    if (measurement.value().isPresent()) {
      json.writeObjectFieldStart("spread");
      json.writeStringField("method", SPREAD_METHOD);
      json.writeNumberField("min", measurement.min().orElseThrow());
      json.writeNumberField("max", measurement.max().orElseThrow());
      json.writeEndObject();
    } else {
      json.writeNullField("spread");
    }
    json.writeStringField("failure", measurement.failure().orElse(null));
  }

  private static void writeNumberOrNull(JsonGenerator json, String field, OptionalDouble value) throws IOException {
    if (value.isPresent()) {
      json.writeNumberField(field, value.getAsDouble());
    } else {
      json.writeNullField(field);
    }
  }

  /** The Markdown page: the table, the failures, what each figure means and how to run. */
  public String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# Performance\n\n")
        .append("Generated by `scripts/bench` from `docs/performance.json`; do not edit by hand, run it again.\n\n");
    appendRuns(md);
    md.append("| figure | Gatehouse | baseline | ratio | runs | spread (")
        .append(SPREAD_METHOD).append("), Gatehouse / baseline |\n")
        .append("|---|---:|---|---:|---:|---|\n");
    for (Figure figure : figures()) {
      md.append("| ").append(figure.title())
          .append(" | ").append(valueCell(figure.gatehouse(), figure.unit()))
          .append(" | ").append(figure.baseline().name()).append(": ")
          .append(valueCell(figure.baseline(), figure.unit()))
          .append(" | ").append(figure.ratio().isPresent() ? format(figure.ratio().getAsDouble(), "") : "—")
          .append(" | ").append(figure.gatehouse().samples().size()).append(" / ")
          .append(figure.baseline().samples().size())
          .append(" | ").append(spreadCell(figure.gatehouse(), figure.unit())).append(" / ")
          .append(spreadCell(figure.baseline(), figure.unit())).append(" |\n");
    }
    appendFailures(md);
    md.append("\n").append(METHOD);
    for (Figure figure : figures()) {
      md.append("\n### ").append(figure.title()).append(" (`").append(figure.name()).append("`)\n\n")
          .append(figure.description()).append("\n");
    }
    return md.toString();
  }

  /** One line for a report of one run; else one item per run, naming its figures. */
  private void appendRuns(StringBuilder md) {
    Map<Run, List<String>> byRun = new LinkedHashMap<>();
    for (Entry entry : entries) {
      byRun.computeIfAbsent(entry.run(), run -> new ArrayList<>()).add("`" + entry.figure().name() + "`");
    }
    if (byRun.size() <= 1) {
      byRun.keySet().forEach(run -> md.append(describe(run)).append(".\n\n"));
      return;
    }
    md.append("The figures come from ").append(byRun.size())
        .append(" runs; each stays until its benchmark runs again (`scripts/bench --only`).\n\n");
    byRun.forEach((run, names) -> md.append("- ").append(describe(run)).append(": ")
        .append(String.join(", ", names)).append(".\n"));
    md.append("\n");
  }

  private static String describe(Run run) {
    MachineFacts machine = run.machine();
    return "Run of " + run.date() + " at commit `" + run.commit() + "` on " + machine.nproc() + " CPUs ("
        + machine.cpuModel() + "), " + (machine.memoryBytes() >> 30) + " GiB, Linux " + machine.kernel()
        + ", JDK " + machine.java();
  }

  private void appendFailures(StringBuilder md) {
    if (!anyFailed()) {
      return;
    }
    md.append("\n## Failed figures\n\n")
        .append("These have no value: the run exits non-zero, and nothing stands in for them.\n\n");
    for (Figure figure : figures()) {
      for (Measurement side : List.of(figure.gatehouse(), figure.baseline())) {
        side.failure().ifPresent(reason -> md.append("- `").append(figure.name()).append("` through ")
            .append(side.name()).append(":\n\n  ```\n  ")
            .append(reason.replace("\n", "\n  ")).append("\n  ```\n"));
      }
    }
  }

  private static String valueCell(Measurement measurement, String unit) {
    OptionalDouble value = measurement.value();
    if (value.isEmpty()) {
      return "**failed**";
    }
    String cell = format(value.getAsDouble(), unit);
    return unit.equals(DECISIONS_PER_SECOND) ? cell + " (" + duration(nanosEach(value).orElseThrow()) + " each)" : cell;
  }

  /** The time one operation takes at {@code perSecond} operations a second. */
  private static OptionalDouble nanosEach(OptionalDouble perSecond) {
    return perSecond.isPresent() && perSecond.getAsDouble() > 0
        ? OptionalDouble.of(1e9 / perSecond.getAsDouble()) : OptionalDouble.empty();
  }

  /** A duration for people: ns below a microsecond, then µs, then ms. */
  static String duration(double nanos) {
    if (nanos < 1e3) {
      return String.format(Locale.ROOT, "%.0f ns", nanos);
    }
    return nanos < 1e6 ? String.format(Locale.ROOT, "%.1f µs", nanos / 1e3)
        : String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
  }

  private static String spreadCell(Measurement measurement, String unit) {
    if (measurement.value().isEmpty()) {
      return "—";
    }
    String min = format(measurement.min().orElseThrow(), unit);
    String max = format(measurement.max().orElseThrow(), unit);
    // "3.68..5.26 Gbit/s" when both ends share their unit, as they usually do.
    int unitStart = max.indexOf(' ');
    if (unitStart > 0 && min.endsWith(max.substring(unitStart))) {
      min = min.substring(0, min.length() - (max.length() - unitStart));
    }
    return min + ".." + max;
  }

  /**
   * A value for people: bit rates in Gbit/s or Mbit/s, decision rates in millions from a
   * million up, other rates as whole numbers, ratios to 2 places.
   */
  static String format(double value, String unit) {
    return switch (unit) {
      case DECISIONS_PER_SECOND -> value >= 1e6
          ? String.format(Locale.ROOT, "%.2f M decisions/s", value / 1e6)
          : String.format(Locale.ROOT, "%.0f decisions/s", value);
      case "bit/s" -> value >= 1e9
          ? String.format(Locale.ROOT, "%.2f Gbit/s", value / 1e9)
          : String.format(Locale.ROOT, "%.0f Mbit/s", value / 1e6);
      case "" -> String.format(Locale.ROOT, "%.2f", value);
      default -> String.format(Locale.ROOT, "%.0f %s", value, unit);
    };
  }

  private static final String METHOD = """
      ## How the figures are taken

      `scripts/bench` (from the repository's root, as root) provisions the machine like
      `scripts/test`, builds the modules, and runs `dev.gatehouse.testbed.bench.BenchmarkRunner`
      on the testbed's test class path. The relay figures (`tcp-`) use one topology of
      containers: a site host (198.18.10.10) and an origin host (198.18.20.10, nginx and
      iperf3), with two relays between them, the appliance (router mode: the site routes to
      it, its TUN ingress takes the packets) and haproxy in TCP mode (198.18.10.3 to the
      origin). The WireGuard figures (`wireguard-`) use a second topology, started after the
      first is gone: a site host (198.18.60.10) with one wireguard-go interface per edge, an
      origin host (198.18.70.10), the appliance (198.18.60.2, a `type: wireguard` tunnel,
      198.18.61.1 inside) and a baseline edge (198.18.60.3: a second wireguard-go, 198.18.62.1
      inside, and haproxy in TCP mode on that address to the origin). The GRE figure (`gre-`)
      uses a third, likewise started alone: two site hosts alike (198.18.90.10 and .11), each
      with Open vSwitch's user-space datapath as its GRE endpoint (one tunnel per host, plain
      IPv4 in GRE with a key, MTU 1472), an origin host (198.18.91.10), the appliance
      (198.18.90.2, a `type: gre` tunnel from the first site host, 198.18.92.1 inside) and a
      baseline edge (198.18.90.3: a third Open vSwitch ending the second site host's tunnel,
      198.18.93.1 inside, and haproxy in TCP mode on that address to the origin). The policy
      figures (`policy-`) need no containers: they run in the runner's JVM, Gatehouse's code
      path against a baseline code path doing the same work. Each figure
      is measured on both sides in the same run, alternating Gatehouse and the baseline run by
      run after one warm-up run each, so that drift on the machine touches both alike.

      - **value**: the median of the runs, in the figure's unit.
      - **ratio**: Gatehouse's value divided by the baseline's; above 1 Gatehouse did better.
      - **runs**: how many runs each value is the median of (Gatehouse / baseline).
      - **spread**: the smallest and the largest run (`min..max`).
      - A side that failed has no value, its reason is listed above, and the run exits non-zero.

      All containers share the machine's CPUs: the client, the relay and the server compete
      for them, as they do for both relays. Compare ratios across machines, not values.
      `docs/performance.json` holds the same figures, one object per figure, with every run.

      `scripts/bench --only PREFIX` runs only the figures whose names start with the prefix
      (`--only policy` needs neither root nor containers) and keeps the other figures of the
      report as they were, each with the run it came from.

      ## What each figure means
      """;
}

package dev.gatehouse.core.log;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotatingFileSinkTest {
  private static final long MAX_FILE_BYTES = 2_000;

  private final ActivityLineEncoder encoder = new ActivityLineEncoder();

  @TempDir Path directory;

  @Test
  void rotatesBySizeAndKeepsOnlyTheConfiguredNumberOfFiles() throws IOException {
    Path live = directory.resolve("activity.jsonl");
    RotatingFileSink sink = new RotatingFileSink(live, MAX_FILE_BYTES, 3);

    writeRecords(sink, 0, 400);
    sink.close();

    assertTrue(Files.exists(live));
    assertTrue(Files.exists(directory.resolve("activity.jsonl.1")));
    assertTrue(Files.exists(directory.resolve("activity.jsonl.2")));
    assertTrue(Files.exists(directory.resolve("activity.jsonl.3")));
    assertFalse(Files.exists(directory.resolve("activity.jsonl.4")));
    assertEquals(4, fileCount());
    List<Integer> kept = sessionNumbers(live, 3);
    // the newest records survive, in order and without a gap
    List<Integer> expected = IntStream.range(400 - kept.size(), 400).boxed().toList();
    assertEquals(expected, kept);
  }

  @Test
  void keepsEveryRecordExactlyOnceWhenNoFileWasDeleted() throws IOException {
    Path live = directory.resolve("activity.jsonl");
    RotatingFileSink sink = new RotatingFileSink(live, MAX_FILE_BYTES, 200);

    writeRecords(sink, 0, 300);
    sink.close();

    assertTrue(fileCount() > 10, "only " + fileCount() + " files; the test wants many rotations");
    assertFalse(Files.exists(directory.resolve("activity.jsonl.200")), "a file may be gone");
    assertEquals(IntStream.range(0, 300).boxed().toList(), sessionNumbers(live, 200));
  }

  @Test
  void neverSplitsALineAndNeverPassesTheLimit() throws IOException {
    Path live = directory.resolve("activity.jsonl");
    RotatingFileSink sink = new RotatingFileSink(live, MAX_FILE_BYTES, 100);

    writeRecords(sink, 0, 300);
    sink.close();

    try (var files = Files.list(directory)) {
      for (Path file : files.toList()) {
        byte[] content = Files.readAllBytes(file);
        assertTrue(content.length <= MAX_FILE_BYTES, file + " has " + content.length + " bytes");
        assertEquals('\n', content[content.length - 1], file + " ends mid-line");
        for (String line : new String(content, UTF_8).split("\n")) {
          TestRecords.parse(line);
        }
      }
    }
  }

  @Test
  void givesALineLongerThanTheLimitAFileOfItsOwn() throws IOException {
    Path live = directory.resolve("activity.jsonl");
    RotatingFileSink sink = new RotatingFileSink(live, 100, 5);

    writeRecords(sink, 0, 3);
    sink.close();

    assertEquals(List.of(0), sessionNumbers(directory.resolve("activity.jsonl.2"), 0));
    assertEquals(List.of(1), sessionNumbers(directory.resolve("activity.jsonl.1"), 0));
    assertEquals(List.of(2), sessionNumbers(live, 0));
  }

  @Test
  void truncatesInsteadOfRotatingWhenNoFilesAreKept() throws IOException {
    Path live = directory.resolve("activity.jsonl");
    RotatingFileSink sink = new RotatingFileSink(live, MAX_FILE_BYTES, 0);

    writeRecords(sink, 0, 100);
    sink.close();

    assertEquals(1, fileCount());
    List<Integer> kept = sessionNumbers(live, 0);
    assertEquals(99, kept.getLast());
    assertTrue(kept.size() < 100);
  }

  @Test
  void createsMissingDirectories() throws IOException {
    Path live = directory.resolve("var/log/gatehouse/activity.jsonl");
    RotatingFileSink sink = new RotatingFileSink(live, MAX_FILE_BYTES, 3);

    writeRecords(sink, 0, 1);
    sink.close();

    assertEquals(List.of(0), sessionNumbers(live, 0));
  }

  @Test
  void appendsToAnExistingFileAndCountsItsSize() throws IOException {
    Path live = directory.resolve("activity.jsonl");
    byte[] earlier = encoder.encode(TestRecords.end(1_000));
    Files.write(live, earlier);
    long lineBytes = earlier.length;
    RotatingFileSink sink = new RotatingFileSink(live, 2 * lineBytes, 3);

    writeRecords(sink, 0, 2);
    sink.close();

    assertEquals(List.of(1_000, 0), sessionNumbers(directory.resolve("activity.jsonl.1"), 0));
    assertEquals(List.of(1), sessionNumbers(live, 0));
  }

  @Test
  void startsOnAFreshLineAfterATruncatedOne() throws IOException {
    Path live = directory.resolve("activity.jsonl");
    Files.writeString(live, "{\"Event\":\"SESSION_END\",\"Sess");
    RotatingFileSink sink = new RotatingFileSink(live, MAX_FILE_BYTES, 3);

    writeRecords(sink, 0, 1);
    sink.close();

    List<String> lines = Files.readAllLines(live);
    assertEquals(2, lines.size());
    assertEquals("session-0", TestRecords.parse(lines.get(1)).get("SessionID"));
  }

  @Test
  void failsWhileTheParentIsAFileAndRecoversOnceItIsADirectory() throws IOException {
    Path parent = directory.resolve("logs");
    Files.writeString(parent, "not a directory");
    Path live = parent.resolve("activity.jsonl");
    RotatingFileSink sink = new RotatingFileSink(live, MAX_FILE_BYTES, 3);

    assertThrows(IOException.class, () -> writeRecords(sink, 0, 1));
    Files.delete(parent);
    writeRecords(sink, 1, 1);
    sink.close();

    assertEquals(List.of(1), sessionNumbers(live, 0));
  }

  private void writeRecords(ActivitySink sink, int first, int count) throws IOException {
    for (int n = first; n < first + count; n++) {
      byte[] line = encoder.encode(TestRecords.end(n));
      sink.write(line, 0, line.length);
    }
  }

  private long fileCount() throws IOException {
    try (var files = Files.list(directory)) {
      return files.count();
    }
  }

  /** Session numbers from the oldest rotated file up to {@code live}, in file order. */
  private static List<Integer> sessionNumbers(Path live, int rotatedFiles) throws IOException {
    List<Integer> numbers = new ArrayList<>();
    for (int n = rotatedFiles; n >= 0; n--) {
      Path file = n == 0 ? live : live.resolveSibling(live.getFileName() + "." + n);
      if (!Files.exists(file)) {
        continue;
      }
      for (String line : Files.readAllLines(file, UTF_8)) {
        numbers.add(TestRecords.sessionNumber(line));
      }
    }
    return numbers;
  }
}

package dev.gatehouse.core.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ActivityLogSettingsTest {
  @TempDir Path directory;

  @Test
  void rejectsAFileSinkWithoutAPath() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new ActivityLogSettings(ActivityLogSettings.Sink.FILE, null, 1_000, 3, 16, false));
    assertEquals("an activity log file needs a path", e.getMessage());
  }

  @Test
  void rejectsAnEmptyQueue() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new ActivityLogSettings(ActivityLogSettings.Sink.STDOUT, null, 1_000, 3, 0, false));
  }

  @Test
  void opensARotatingFileLogFromSettings() throws IOException {
    Path live = directory.resolve("gatehouse/activity.jsonl");
    ActivityLogSettings settings =
        new ActivityLogSettings(ActivityLogSettings.Sink.FILE, live, 1_000, 2, 64, true);

    try (ActivityLog log = ActivityLog.open(settings)) {
      for (int n = 0; n < 10; n++) {
        log.record(TestRecords.start(n));
        log.record(TestRecords.end(n));
      }
    }

    assertTrue(Files.exists(live.resolveSibling("activity.jsonl.2")));
    List<String> newest = Files.readAllLines(live);
    assertEquals("session-9", TestRecords.parse(newest.getLast()).get("SessionID"));
    assertEquals("SESSION_END", TestRecords.parse(newest.getLast()).get("Event"));
  }
}

package dev.gatehouse.appliance.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;

/** Keeps the leak reports Netty logs, for {@link NettyLeakCheck} to fail on. */
public final class LeakReportCollector extends AppenderBase<ILoggingEvent> {

  private static final List<String> REPORTS = new ArrayList<>();

  @Override
  protected void append(ILoggingEvent event) {
    if (event.getLevel().isGreaterOrEqual(Level.ERROR)) {
      synchronized (REPORTS) {
        REPORTS.add(event.getFormattedMessage());
      }
    }
  }

  /** The reports collected since the last call, which clears them. */
  static List<String> drain() {
    synchronized (REPORTS) {
      List<String> reports = new ArrayList<>(REPORTS);
      REPORTS.clear();
      return reports;
    }
  }
}

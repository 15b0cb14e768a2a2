package dev.gatehouse.appliance.reload;

import dev.gatehouse.core.config.ConfigError;
import java.util.List;

/** What one reload did. */
public sealed interface ReloadOutcome {

  /**
   * The file was valid and its policies now run.
   *
   * @param policies how many policies the new set holds
   * @param sectionsNeedingRestart settings that changed but apply only on a restart, such as
   *     {@code tunnels} or {@code policies.inspection-timeout}; empty when none did
   */
  record Reloaded(int policies, List<String> sectionsNeedingRestart) implements ReloadOutcome {
    public Reloaded {
      sectionsNeedingRestart = List.copyOf(sectionsNeedingRestart);
    }
  }

  /**
   * The file was unreadable or invalid; the running policies stay.
   *
   * @param errors every error, as {@code gatehouse check-config} prints them
   */
  record Refused(List<ConfigError> errors) implements ReloadOutcome {
    public Refused {
      errors = List.copyOf(errors);
    }
  }

  /** The file holds the same text as when it was last read, so nothing was done. */
  record Unchanged() implements ReloadOutcome {}

  /** The appliance runs on the built-in defaults: there is no file to reload. */
  record NoFile() implements ReloadOutcome {}
}

package dev.gatehouse.appliance.reload;

import dev.gatehouse.core.config.ConfigError;
import java.util.List;

/** What one reload did. */
public sealed interface ReloadOutcome {

  /**
   * The file was valid: its policies now run, and so do the changes tunnels applied in place.
   *
   * @param policies how many policies the new set holds
   * @param sectionsNeedingRestart settings that changed but apply only on a restart: top-level
   *     sections such as {@code proxy}, and within {@code tunnels} a tunnel added or removed
   *     ({@code tunnels.NAME}) or a tunnel's setting it cannot change while running
   *     ({@code tunnels.NAME.private-key}); empty when none did
   * @param tunnelsApplied what tunnels changed in place, {@code NAME: what} each, such as
   *     {@code sites: peer lyon added}; empty when nothing did
   */
  record Reloaded(int policies, List<String> sectionsNeedingRestart, List<String> tunnelsApplied)
      implements ReloadOutcome {
    public Reloaded {
      sectionsNeedingRestart = List.copyOf(sectionsNeedingRestart);
      tunnelsApplied = List.copyOf(tunnelsApplied);
    }

    /** A reload that changed no tunnel in place. */
    public Reloaded(int policies, List<String> sectionsNeedingRestart) {
      this(policies, sectionsNeedingRestart, List.of());
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

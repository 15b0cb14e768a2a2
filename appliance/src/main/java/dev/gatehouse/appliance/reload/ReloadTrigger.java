package dev.gatehouse.appliance.reload;

/** What asked for the policies to be loaded; logged with every reload and shown by the admin endpoint. */
public enum ReloadTrigger {
  /** The appliance started. */
  START("start"),
  /** The process received SIGHUP. */
  SIGHUP("sighup"),
  /** The configuration file changed on disk. */
  FILE_CHANGE("file-change"),
  /** {@code POST /policies/reload} on the admin endpoint. */
  ADMIN("admin");

  private final String label;

  ReloadTrigger(String label) {
    this.label = label;
  }

  /** The trigger as logged: {@code sighup}, {@code file-change}... */
  public String label() {
    return label;
  }

  @Override
  public String toString() {
    return label;
  }
}

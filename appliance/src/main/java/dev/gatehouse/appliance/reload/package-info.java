/**
 * Reloading network policies without a restart: {@link dev.gatehouse.appliance.reload.PolicyReloader}
 * re-reads and validates the whole configuration file and swaps in its policies; SIGHUP
 * ({@link dev.gatehouse.appliance.reload.HangupSignal}), an edit of the file
 * ({@link dev.gatehouse.appliance.reload.ConfigFileWatcher}) and the admin endpoint trigger it.
 */
package dev.gatehouse.appliance.reload;

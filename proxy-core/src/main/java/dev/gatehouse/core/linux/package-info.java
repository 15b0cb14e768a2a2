/**
 * The Linux calls Gatehouse needs beyond the JDK, made through the FFM API
 * ({@code java.lang.foreign}; no JNI, no JNA): {@link dev.gatehouse.core.linux.RawSocket}
 * for GRE and ESP, {@link dev.gatehouse.core.linux.PingSocket} for ICMP echo,
 * {@link dev.gatehouse.core.linux.TunDevice} and {@link dev.gatehouse.core.linux.LinkControl}
 * for TUN devices. Failures are {@link dev.gatehouse.core.linux.NativeException}s naming
 * the call, the errno and what to do.
 *
 * <p>Linux on x86_64 and aarch64 only: the constants and structure layouts are theirs.
 * The JVM must allow native access to the code that holds this package, or it prints a
 * warning at the first call (and a future JDK will refuse):
 * {@code --enable-native-access=ALL-UNNAMED} on the class path, or the module's name.
 */
package dev.gatehouse.core.linux;

package dev.gatehouse.core.linux;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A TUN device (Documentation/networking/tuntap.rst in the kernel): each read returns one
 * IP packet the kernel routed into the device, each write hands the kernel one IP packet
 * as if it had arrived on the device. Packets are bare IPv4 or IPv6 packets (IFF_NO_PI):
 * no protocol header in front, the kernel telling the families apart by the version nibble.
 *
 * <p>The device exists while this object is open (it is not made persistent) and lives in
 * the network namespace of the thread that opened it. It starts down and without an
 * address: {@link LinkControl} brings it up and sets its MTU and IPv4 address.
 *
 * <p>The {@link MemorySegment} methods are the data path: they pass the caller's native
 * memory straight to read(2) and write(2) and allocate nothing. The {@link ByteBuffer}
 * methods do the same for direct buffers and copy heap buffers through a native buffer
 * kept per device.
 *
 * <p>One thread reads and one thread writes at a time; closing while another thread is
 * inside a call is not allowed, and a blocking read is woken neither by {@link #close} nor
 * by {@link Thread#interrupt}: a reader that must stop uses non-blocking mode with
 * {@link #awaitReadable}, or polls {@link #fd()} itself.
 */
public final class TunDevice implements AutoCloseable {

  /** Options beyond a plain IFF_TUN | IFF_NO_PI device. */
  public enum Option {
    // TODO(#10): TUNSETOFFLOAD and a view of virtio_net_hdr, for GSO-sized reads.
    /**
     * IFF_VNET_HDR: every packet read or written starts with a {@code struct
     * virtio_net_hdr} (10 bytes unless TUNSETVNETHDRSZ changes it) describing checksum and
     * segmentation offload. The caller reads and writes that header itself.
     */
    VNET_HEADER
  }

  private static final String DEVICE_PATH = "/dev/net/tun";

  private final Fd fd;
  private final String name;
  private final Set<Option> options;
  private final BufferBridge readBridge = new BufferBridge();
  private final BufferBridge writeBridge = new BufferBridge();

  private TunDevice(Fd fd, String name, Set<Option> options) {
    this.fd = fd;
    this.name = name;
    this.options = options;
  }

  /**
   * Creates (or attaches to an existing, unused) TUN device named {@code requestedName}, in
   * blocking mode. A name with {@code %d} lets the kernel pick a number ({@code gh%d}).
   *
   * @throws IllegalArgumentException if the name is not 1 to 15 ASCII characters
   * @throws NativeException ENOENT when there is no /dev/net/tun, EPERM without
   *     CAP_NET_ADMIN, EINVAL when the kernel refuses the name, EBUSY when another
   *     descriptor holds a device of that name
   */
  public static TunDevice open(String requestedName, Option... options) throws NativeException {
    Structs.interfaceNameBytes(requestedName);
    Set<Option> chosen = EnumSet.noneOf(Option.class);
    chosen.addAll(List.of(options));
    short flags = (short) (Libc.IFF_TUN | Libc.IFF_NO_PI);
    if (chosen.contains(Option.VNET_HEADER)) {
      flags |= Libc.IFF_VNET_HDR;
    }

    try (Arena arena = Arena.ofConfined()) {
      int descriptor = Libc.open(arena.allocateFrom(DEVICE_PATH), Libc.O_RDWR | Libc.O_CLOEXEC);
      if (descriptor < 0) {
        throw new NativeException("open(" + DEVICE_PATH + ")", -descriptor,
            openAdvice(-descriptor));
      }

      MemorySegment ifreq = Structs.ifreq(arena, requestedName);
      Structs.setIfreqFlags(ifreq, flags);
      int result = Libc.ioctl(descriptor, Libc.TUNSETIFF, ifreq);
      if (result < 0) {
        Libc.close(descriptor);
        throw new NativeException("ioctl(TUNSETIFF, \"" + requestedName + "\")", -result,
            setIfAdvice(-result, requestedName));
      }

      String name = Structs.ifreqName(ifreq);
      return new TunDevice(new Fd(descriptor, "TUN device \"" + name + "\""), name,
          Set.copyOf(chosen));
    }
  }

  /** The device's name as the kernel gave it (with any {@code %d} filled in). */
  public String name() {
    return name;
  }

  /** The options it was opened with. */
  public Set<Option> options() {
    return options;
  }

  /** The descriptor, for a poller; it stays owned by this device. */
  public int fd() throws IOException {
    return fd.get();
  }

  /**
   * Reads one packet into {@code dst}, a native segment at least the MTU long (plus the
   * vnet header, with that option); a longer packet would be cut to fit.
   *
   * @return the packet's length, or 0 if the device is non-blocking and none was waiting
   */
  public long read(MemorySegment dst) throws IOException {
    checkWritable(dst);
    long result = Libc.read(fd.get(), dst, dst.byteSize());
    return readResult(result);
  }

  /**
   * Reads one packet into {@code dst}, which moves past it.
   *
   * @return the packet's length, or 0 if the device is non-blocking and none was waiting
   */
  public int read(ByteBuffer dst) throws IOException {
    long address = readBridge.receiveAddress(dst);
    int length = (int) readResult(Libc.readAt(fd.get(), address, dst.remaining()));
    readBridge.received(dst, length);
    return length;
  }

  /**
   * Writes {@code packet}, a native segment holding exactly one IP packet.
   *
   * @return the bytes written: the whole packet
   * @throws NativeException EINVAL when it does not start with an IPv4 or IPv6 header, EIO
   *     when the device is down
   */
  public long write(MemorySegment packet) throws IOException {
    checkNative(packet);
    return writeResult(Libc.write(fd.get(), packet, packet.byteSize()), packet.byteSize());
  }

  /**
   * Writes {@code packet}'s remaining bytes as one IP packet; packet moves past them.
   *
   * @return the bytes written: the whole packet
   */
  public int write(ByteBuffer packet) throws IOException {
    int length = packet.remaining();
    long address = writeBridge.sendAddress(packet);
    int written = (int) writeResult(Libc.writeAt(fd.get(), address, length), length);
    writeBridge.sent(packet, written);
    return written;
  }

  /** Switches non-blocking mode on or off (O_NONBLOCK); devices open blocking. */
  public void setNonBlocking(boolean nonBlocking) throws IOException {
    fd.setNonBlocking(nonBlocking);
  }

  /**
   * Waits up to {@code timeoutMillis} for a packet to read; 0 only checks.
   *
   * @return whether a read would now return without waiting
   */
  public boolean awaitReadable(long timeoutMillis) throws IOException {
    return fd.awaitReadable(timeoutMillis);
  }

  /** Whether {@link #close} has not been called yet. */
  public boolean isOpen() {
    return fd.isOpen();
  }

  /** Closes the descriptor, which deletes the device; closing again does nothing. */
  @Override
  public void close() throws IOException {
    fd.close();
  }

  private long readResult(long result) throws NativeException {
    if (result == -Libc.EAGAIN) {
      return 0;
    }
    if (result < 0) {
      int errno = (int) -result;
      throw new NativeException("read of " + fd.description(), errno, ioAdvice(errno));
    }
    return result;
  }

  private long writeResult(long result, long length) throws NativeException {
    if (result < 0) {
      int errno = (int) -result;
      throw new NativeException("write of " + length + " bytes to " + fd.description(), errno,
          ioAdvice(errno));
    }
    return result;
  }

  private static void checkWritable(MemorySegment segment) {
    checkNative(segment);
    if (segment.isReadOnly()) {
      throw new IllegalArgumentException("expected a writable segment to read into, got a"
          + " read-only one");
    }
  }

  private static void checkNative(MemorySegment segment) {
    if (!segment.isNative()) {
      throw new IllegalArgumentException("expected a native memory segment (read(2) and"
          + " write(2) cannot reach the Java heap), got " + segment);
    }
  }

  static String openAdvice(int errno) {
    return switch (errno) {
      case Libc.ENOENT -> DEVICE_PATH + " does not exist: load the tun module (modprobe tun),"
          + " or start the container with --device /dev/net/tun";
      case Libc.ENODEV, Libc.ENXIO -> "the tun driver is not loaded: run modprobe tun on the"
          + " host";
      case Libc.EACCES, Libc.EPERM -> DEVICE_PATH + " is not open to this process: run as"
          + " root, or start the container with --cap-add NET_ADMIN --device /dev/net/tun";
      default -> "";
    };
  }

  private static String setIfAdvice(int errno, String requestedName) {
    return switch (errno) {
      case Libc.EPERM -> "creating a TUN device needs CAP_NET_ADMIN: run as root or start"
          + " the container with --cap-add NET_ADMIN";
      case Libc.EBUSY -> "another open descriptor is already attached to \"" + requestedName
          + "\"";
      case Libc.EINVAL -> "the kernel refused the name or flags: a name may not contain '/',"
          + " ':' or white space nor be \".\" or \"..\", and it must not name an existing"
          + " device that is not a TUN device";
      default -> "";
    };
  }

  private static String ioAdvice(int errno) {
    return switch (errno) {
      case Libc.EINVAL -> "a packet must start with an IPv4 or IPv6 header (version 4 or 6)";
      case Libc.EIO -> "the device is down: bring it up first (LinkControl.bringUp)";
      case Libc.EBADFD -> "the device was deleted while open";
      default -> "";
    };
  }
}

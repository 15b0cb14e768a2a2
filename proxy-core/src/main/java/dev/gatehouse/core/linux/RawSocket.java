package dev.gatehouse.core.linux;

import java.io.IOException;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;

/**
 * A raw IPv4 or IPv6 socket for one IP protocol, such as 47 (GRE, RFC 2784) or 50 (ESP,
 * RFC 4303): it receives every packet of that protocol addressed to this host (or to the
 * bound address) and sends packets of it, the kernel writing the IP header.
 *
 * <p><b>The two families receive differently</b> (raw(7), RFC 3542 §3): an IPv4 raw socket
 * delivers the whole packet, IPv4 header included, so the payload starts at
 * {@code 4 * IHL} bytes; an IPv6 raw socket delivers only the payload, the source coming
 * from {@link #receive}. Both send only the payload: the kernel adds the header
 * ({@code IP_HDRINCL} is not set).
 *
 * <p>Opening one needs CAP_NET_RAW. While one is open for a protocol, the kernel no longer
 * answers that protocol with ICMP protocol-unreachable.
 *
 * <p>One thread sends and one thread receives at a time (they may be different threads);
 * closing while another thread is inside a call is not allowed. A blocking receive is not
 * woken by {@link #close} or {@link Thread#interrupt}: a loop that must stop uses
 * non-blocking mode and {@link #awaitReadable} with a timeout, or polls {@link #fd()}
 * itself (a Netty epoll channel, say). Direct buffers go to the kernel as they are; heap
 * buffers are copied through a native buffer kept per socket.
 */
public final class RawSocket implements AutoCloseable {

  private final SocketFd socket;
  private final StandardProtocolFamily family;
  private final int protocol;

  private RawSocket(SocketFd socket, StandardProtocolFamily family, int protocol) {
    this.socket = socket;
    this.family = family;
    this.protocol = protocol;
  }

  /**
   * Opens a raw socket, in blocking mode and not bound.
   *
   * @param family {@code INET} or {@code INET6}
   * @param protocol the IP protocol number, 1 to 255 (IANA's "Assigned Internet Protocol
   *     Numbers": 47 GRE, 50 ESP); 255 (IPPROTO_RAW) can send but never receives
   * @throws NativeException EPERM without CAP_NET_RAW, EAFNOSUPPORT when the kernel has no
   *     IPv6
   */
  public static RawSocket open(StandardProtocolFamily family, int protocol)
      throws NativeException {
    if (protocol < 1 || protocol > 255) {
      throw new IllegalArgumentException("expected an IP protocol number from 1 to 255, got "
          + protocol);
    }
    SocketFd socket = SocketFd.open(family, Libc.SOCK_RAW, protocol, RawSocket::openAdvice);
    return new RawSocket(socket, family, protocol);
  }

  /** The address family given to {@link #open}. */
  public StandardProtocolFamily family() {
    return family;
  }

  /** The IP protocol number given to {@link #open}. */
  public int protocol() {
    return protocol;
  }

  /**
   * The descriptor, for a poller that watches it (an epoll loop, a Netty channel). It stays
   * owned by this socket: close it only through {@link #close}.
   */
  public int fd() throws IOException {
    return socket.fd.get();
  }

  /**
   * Receives only packets addressed to {@code local} and sends from it.
   *
   * @throws NativeException EADDRNOTAVAIL when no interface here has that address
   */
  public void bind(InetAddress local) throws IOException {
    socket.bind(local, 0);
  }

  /**
   * Receives only packets that arrived through {@code interfaceName} and sends through it
   * (SO_BINDTODEVICE, socket(7)).
   *
   * @throws NativeException ENODEV when there is no such interface in this network namespace
   */
  public void bindToDevice(String interfaceName) throws IOException {
    socket.bindToDevice(interfaceName);
  }

  /**
   * Sends {@code payload}'s remaining bytes as the payload of one IP packet to
   * {@code target}; payload moves past them.
   *
   * @return the bytes sent, or 0 if the socket is non-blocking and its buffer is full
   */
  public int send(ByteBuffer payload, InetAddress target) throws IOException {
    return socket.send(payload, target);
  }

  /**
   * Receives one packet into {@code dst}, which moves past it: with IPv4 the packet starts
   * with its IPv4 header, with IPv6 it is the payload alone (see the class description).
   * Offer room for the largest packet expected; a longer one is cut and its tail lost.
   *
   * @return the packet's source address, or {@code null} if the socket is non-blocking and
   *     nothing was waiting. Packets from the same source as the previous one return the same
   *     instance, so that a steady stream from one peer allocates nothing.
   */
  public InetAddress receive(ByteBuffer dst) throws IOException {
    return socket.receive(dst);
  }

  /** Switches non-blocking mode on or off (O_NONBLOCK); sockets open blocking. */
  public void setNonBlocking(boolean nonBlocking) throws IOException {
    socket.fd.setNonBlocking(nonBlocking);
  }

  /**
   * Waits up to {@code timeoutMillis} for a packet to receive; 0 only checks.
   *
   * @return whether a receive would now return without waiting
   */
  public boolean awaitReadable(long timeoutMillis) throws IOException {
    return socket.fd.awaitReadable(timeoutMillis);
  }

  /** Whether {@link #close} has not been called yet. */
  public boolean isOpen() {
    return socket.fd.isOpen();
  }

  /** Closes the socket; closing again does nothing. */
  @Override
  public void close() throws IOException {
    socket.fd.close();
  }

  static String openAdvice(int errno) {
    return switch (errno) {
      case Libc.EPERM, Libc.EACCES -> "a raw socket needs CAP_NET_RAW: run as root, grant it"
          + " (AmbientCapabilities=CAP_NET_RAW in a systemd unit, setcap cap_net_raw+ep on"
          + " the java binary) or start the container with --cap-add NET_RAW";
      case Libc.EAFNOSUPPORT -> "this kernel has IPv6 disabled (ipv6.disable=1)";
      default -> "";
    };
  }
}

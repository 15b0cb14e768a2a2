package dev.gatehouse.core.icmp;

import io.netty.buffer.ByteBuf;

/**
 * The client's echo requests an echo flow has sent and not yet seen answered, by sequence
 * number, so that an ICMP error about one of them quotes that one. Owned by one flow, on
 * its loop.
 *
 * <p>A request goes to the slot its sequence number names modulo {@link #SLOTS}: probes
 * from traceroute -I or mtr count up, so a slot is taken again only by the request
 * {@link #SLOTS} later, when the old one is long answered or lost. A request that was
 * pushed out is simply not found, and an error about it is dropped rather than quoting
 * another request.
 */
final class SentEchoes {

  /** Ours: more than traceroute -I keeps in flight (16), a power of two. */
  static final int SLOTS = 32;

  private final int[] sequences = new int[SLOTS];
  private final ByteBuf[] packets = new ByteBuf[SLOTS];

  /** Keeps {@code packet}, whose reference passes to this, for {@code sequence}. */
  void remember(int sequence, ByteBuf packet) {
    int slot = sequence & (SLOTS - 1);
    if (packets[slot] != null) {
      packets[slot].release();
    }
    sequences[slot] = sequence;
    packets[slot] = packet;
  }

  /** The packet sent with {@code sequence}, still owned by this; null if not kept. */
  ByteBuf find(int sequence) {
    int slot = sequence & (SLOTS - 1);
    return packets[slot] != null && sequences[slot] == sequence ? packets[slot] : null;
  }

  /** Releases the packet sent with {@code sequence}, if kept: its reply came. */
  void forget(int sequence) {
    int slot = sequence & (SLOTS - 1);
    if (packets[slot] != null && sequences[slot] == sequence) {
      packets[slot].release();
      packets[slot] = null;
    }
  }

  /** Releases every packet kept. */
  void clear() {
    for (int slot = 0; slot < SLOTS; slot++) {
      if (packets[slot] != null) {
        packets[slot].release();
        packets[slot] = null;
      }
    }
  }
}

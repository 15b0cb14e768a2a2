package dev.gatehouse.ingress.gre;

import io.netty.buffer.ByteBuf;

/** Where {@link GreEncapsulator} puts what it makes. Ownership of each buffer passes to the callee. */
public interface GreOutput {

  /** One GRE packet, header and payload, readable from its reader index, to send to the remote. */
  void sendToSite(ByteBuf grePacket);

  /**
   * One inner packet for the core: an ICMP error about a packet the core sent, addressed to
   * that packet's source.
   */
  void deliverToCore(ByteBuf innerPacket);
}

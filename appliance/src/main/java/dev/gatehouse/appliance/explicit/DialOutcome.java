package dev.gatehouse.appliance.explicit;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/** How a dial to an origin ended. */
sealed interface DialOutcome {

  /**
   * The origin accepted a connection.
   *
   * @param channel the connected channel, with auto-read off and a {@link TrafficCounter}
   *     first in its pipeline
   * @param address the address that answered
   * @param dialNanos time from the start of the dial (resolution included) to the answer
   */
  record Connected(Channel channel, InetSocketAddress address, long dialNanos)
      implements DialOutcome {}

  /**
   * No address answered.
   *
   * @param failure why, taken from the last attempt (or the deadline)
   * @param lastAddress the last address tried; unresolved when none was tried
   */
  record Failed(DialFailure failure, InetSocketAddress lastAddress) implements DialOutcome {}
}

package dev.gatehouse.core.flow;

import dev.gatehouse.core.log.CloseReason;
import io.netty.channel.ConnectTimeoutException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;

/**
 * What a failed dial to an origin means for the flow's record, the same for tunnel flows
 * and the explicit proxy.
 */
public final class OriginFailures {

  private OriginFailures() {}

  /**
   * {@code PROXY_CONN_REFUSED} when the origin answered with a reset, else
   * {@code ORIGIN_UNREACHABLE}. Both NIO and Netty's epoll report ECONNREFUSED as a plain
   * {@link ConnectException} and EHOSTUNREACH / ENETUNREACH as {@link NoRouteToHostException}
   * (NIO gives a plain SocketException for ENETUNREACH); Netty's own connect timeout is a
   * {@link ConnectTimeoutException}. XXX: the kernel's own ETIMEDOUT, after its SYN retries
   * (about 127 s with Linux defaults), is also a ConnectException and reads as a refusal;
   * only a connect timeout longer than that lets it happen, which the configuration refuses
   * (proxy.tcp.connect-timeout is at most 2m).
   */
  public static CloseReason closeReason(Throwable cause) {
    if (cause instanceof ConnectTimeoutException || cause instanceof NoRouteToHostException) {
      return CloseReason.ORIGIN_UNREACHABLE;
    }
    return cause instanceof ConnectException
        ? CloseReason.PROXY_CONN_REFUSED
        : CloseReason.ORIGIN_UNREACHABLE;
  }
}

package dev.gatehouse.core.linux;

import java.io.IOException;
import java.io.Serial;

/**
 * A Linux call that failed, with its errno and what an operator can do about it.
 *
 * <p>The message reads, for example: {@code socket(AF_INET, SOCK_RAW, 47) failed: EPERM
 * (Operation not permitted); a raw socket needs CAP_NET_RAW: ...}. The parts are also
 * available one by one, so that a caller can react to {@link #errno()} without parsing text.
 */
public final class NativeException extends IOException {

  @Serial private static final long serialVersionUID = 1L;

  // asm-generic/errno-base.h and asm-generic/errno.h, indexed by value; null where unused.
  private static final String[] ERRNO_NAMES = {
      null, "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC",
      "EBADF", "ECHILD", "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY",
      "EEXIST", "EXDEV", "ENODEV", "ENOTDIR", "EISDIR", "EINVAL", "ENFILE", "EMFILE",
      "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS", "EMLINK", "EPIPE", "EDOM",
      "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP", null,
      "ENOMSG", "EIDRM", "ECHRNG", "EL2NSYNC", "EL3HLT", "EL3RST", "ELNRNG", "EUNATCH",
      "ENOCSI", "EL2HLT", "EBADE", "EBADR", "EXFULL", "ENOANO", "EBADRQC", "EBADSLT", null,
      "EBFONT", "ENOSTR", "ENODATA", "ETIME", "ENOSR", "ENONET", "ENOPKG", "EREMOTE",
      "ENOLINK", "EADV", "ESRMNT", "ECOMM", "EPROTO", "EMULTIHOP", "EDOTDOT", "EBADMSG",
      "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG", "ELIBACC", "ELIBBAD", "ELIBSCN",
      "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS", "ENOTSOCK",
      "EDESTADDRREQ", "EMSGSIZE", "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT",
      "ESOCKTNOSUPPORT", "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE",
      "EADDRNOTAVAIL", "ENETDOWN", "ENETUNREACH", "ENETRESET", "ECONNABORTED",
      "ECONNRESET", "ENOBUFS", "EISCONN", "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS",
      "ETIMEDOUT", "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH", "EALREADY", "EINPROGRESS",
      "ESTALE", "EUCLEAN", "ENOTNAM", "ENAVAIL", "EISNAM", "EREMOTEIO", "EDQUOT",
      "ENOMEDIUM", "EMEDIUMTYPE", "ECANCELED", "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED",
      "EKEYREJECTED", "EOWNERDEAD", "ENOTRECOVERABLE", "ERFKILL", "EHWPOISON"
  };

  private final String call;
  private final int errno;
  private final String errnoName;
  private final String description;
  private final String advice;

  /**
   * @param call the call as a reader would write it, e.g. {@code ioctl(TUNSETIFF, "gh0")}
   * @param errno the errno it failed with, positive
   * @param advice what to do about it, or an empty string when there is nothing to add
   */
  NativeException(String call, int errno, String advice) {
    this(call, errno, errnoName(errno), Libc.strerror(errno), advice);
  }

  private NativeException(
      String call, int errno, String errnoName, String description, String advice) {
    super(message(call, errnoName, description, advice));
    this.call = call;
    this.errno = errno;
    this.errnoName = errnoName;
    this.description = description;
    this.advice = advice;
  }

  /** The call that failed, with the arguments that tell it apart. */
  public String call() {
    return call;
  }

  /** The errno value, as Linux numbers it on x86_64 and aarch64. */
  public int errno() {
    return errno;
  }

  /** The errno's symbolic name ({@code EACCES}), or {@code errno N} for an unknown value. */
  public String errnoName() {
    return errnoName;
  }

  /** The C library's description of the errno ({@code Permission denied}). */
  public String description() {
    return description;
  }

  /** What an operator can do about it; empty when there is no advice to give. */
  public String advice() {
    return advice;
  }

  /** The symbolic name of an errno value, or {@code errno N} when Linux defines none. */
  static String errnoName(int errno) {
    if (errno > 0 && errno < ERRNO_NAMES.length && ERRNO_NAMES[errno] != null) {
      return ERRNO_NAMES[errno];
    }
    return "errno " + errno;
  }

  private static String message(String call, String name, String description, String advice) {
    String failure = call + " failed: " + name + " (" + description + ")";
    return advice.isEmpty() ? failure : failure + "; " + advice;
  }
}

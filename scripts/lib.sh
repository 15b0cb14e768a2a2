# Shared helpers for Gatehouse's scripts. Sourced, never run.
# shellcheck shell=bash

# Prints the path of a JDK 25 (or newer) and returns 0, or prints nothing and returns 1.
# JAVA_HOME wins when it already points at one; then the JDKs under /usr/lib/jvm.
gatehouse_find_jdk() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-* /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    local release
    release=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$candidate/release" 2>/dev/null)
    if [ -n "$release" ] && [ "$release" -ge 25 ]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

# Exports JAVA_HOME (JDK 25+) and the Maven options every build here wants, or exits.
gatehouse_use_jdk() {
  local jdk
  if ! jdk=$(gatehouse_find_jdk); then
    echo "gatehouse: no JDK 25 found (looked at JAVA_HOME and /usr/lib/jvm); install one," \
         "for example Debian's or Temurin's, and set JAVA_HOME to it" >&2
    exit 1
  fi
  export JAVA_HOME="$jdk"
  export PATH="$JAVA_HOME/bin:$PATH"
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
}

gatehouse_log() {
  printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

package dev.gatehouse.appliance;

/** Placeholder entry point while the build is laid out. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {}
}

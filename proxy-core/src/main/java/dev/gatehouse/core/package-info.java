/** Gatehouse's proxy core: from inner IP packets to proxied, logged flows. */
package dev.gatehouse.core;

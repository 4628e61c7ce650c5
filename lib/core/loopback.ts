/** Host names that only reach this machine (a URL's hostname writes IPv6 in brackets, a driver may not). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * Whether a host is this machine: the one case where plain HTTP to an upstream, and a database
 * connection without TLS, are acceptable.
 */
export const isLoopbackHost = (host: string): boolean => LOOPBACK_HOSTS.has(host.toLowerCase());

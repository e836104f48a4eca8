/**
 * `--server.http.listen-addr` values, as Go's `net.Listen("tcp", addr)` reads them: `host:port`,
 * `[v6]:port`, or `:port` for every interface.
 */

/** A parsed listen address; `host` is `undefined` for every interface. */
export interface ListenAddress {
  readonly host: string | undefined;
  readonly port: number;
}

/** Parses `addr`, or throws an error worded like Go's (`missing port in address`). */
export function parseListenAddress(addr: string): ListenAddress {
  const colon = addr.lastIndexOf(":");
  if (colon < 0) {
    throw new Error(`address ${addr}: missing port in address`);
  }
  let host = addr.slice(0, colon);
  const portText = addr.slice(colon + 1);
  if (host.startsWith("[") && host.endsWith("]")) {
    host = host.slice(1, -1);
  } else if (host.includes(":")) {
    throw new Error(`address ${addr}: too many colons in address`);
  }
  const port = portText === "" ? 0 : Number(portText);
  if (!/^\d*$/.test(portText) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`address ${addr}: invalid port`);
  }
  return { host: host === "" ? undefined : host, port };
}

/**
 * Which requests go through a proxy: Go's `golang.org/x/net/http/httpproxy` rules, which Alloy uses for
 * `no_proxy` and `proxy_from_environment` (through prometheus/common).
 *
 * `no_proxy` is a comma-separated list of `*`, IPs and CIDRs (`10.0.0.0/8`), IPs with a port, and domain names
 * (optionally with a port): `example.com` matches itself and its subdomains, `.example.com` and
 * `*.example.com` only subdomains. `localhost` and loopback addresses are never proxied under these rules.
 */
import { BlockList, isIP } from "node:net";

interface Matcher {
  match(host: string, port: string, ipFamily: 0 | 4 | 6): boolean;
}

/** A parsed `no_proxy` list. */
export class NoProxy {
  readonly #ipMatchers: Matcher[] = [];
  readonly #domainMatchers: Matcher[] = [];
  #all = false;

  constructor(list: string) {
    for (const raw of list.split(",")) {
      const p = raw.trim().toLowerCase();
      if (p === "") continue;
      if (p === "*") {
        this.#all = true;
        return;
      }
      const cidr = parseCidr(p);
      if (cidr) {
        const bl = new BlockList();
        bl.addSubnet(cidr.address, cidr.prefix, cidr.family === 4 ? "ipv4" : "ipv6");
        this.#ipMatchers.push({ match: (host, _port, fam) => fam !== 0 && checkIp(bl, host, fam) });
        continue;
      }
      let { host: phost, port: pport } = splitHostPort(p) ?? { host: p, port: "" };
      if (phost.startsWith("[") && phost.endsWith("]")) phost = phost.slice(1, -1);
      const fam = isIP(phost);
      if (fam !== 0) {
        const bl = new BlockList();
        bl.addAddress(phost, fam === 4 ? "ipv4" : "ipv6");
        this.#ipMatchers.push({
          match: (host, port, f) => f !== 0 && checkIp(bl, host, f) && (pport === "" || pport === port),
        });
        continue;
      }
      if (phost === "") continue;
      if (phost.startsWith("*.")) phost = phost.slice(1);
      let matchHost = false;
      if (!phost.startsWith(".")) {
        matchHost = true;
        phost = `.${phost}`;
      }
      const suffix = phost;
      this.#domainMatchers.push({
        match: (host, port) =>
          (host.endsWith(suffix) || (matchHost && host === suffix.slice(1))) &&
          (pport === "" || pport === port),
      });
    }
  }

  /** Whether a request to `url` should use the proxy (Go's `useProxy`). */
  useProxy(url: URL): boolean {
    let host = url.hostname.toLowerCase();
    if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
    const port = url.port !== "" ? url.port : url.protocol === "https:" ? "443" : "80";
    if (host === "localhost") return false;
    const fam = isIP(host) as 0 | 4 | 6;
    if (fam !== 0 && isLoopback(host, fam)) return false;
    if (this.#all) return false;
    if (fam !== 0 && this.#ipMatchers.some((m) => m.match(host, port, fam))) return false;
    return !this.#domainMatchers.some((m) => m.match(host, port, fam));
  }
}

function checkIp(bl: BlockList, host: string, fam: 4 | 6): boolean {
  return bl.check(host, fam === 4 ? "ipv4" : "ipv6");
}

const LOOPBACK = (() => {
  const bl = new BlockList();
  bl.addSubnet("127.0.0.0", 8, "ipv4");
  bl.addAddress("::1", "ipv6");
  bl.addSubnet("::ffff:127.0.0.0", 104, "ipv6");
  return bl;
})();

function isLoopback(host: string, fam: 4 | 6): boolean {
  return LOOPBACK.check(host, fam === 4 ? "ipv4" : "ipv6");
}

function parseCidr(p: string): { address: string; prefix: number; family: 4 | 6 } | undefined {
  const slash = p.indexOf("/");
  if (slash < 0) return undefined;
  const address = p.slice(0, slash);
  const prefixText = p.slice(slash + 1);
  const family = isIP(address);
  if (family === 0 || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  return { address, prefix, family: family as 4 | 6 };
}

/** Go's `net.SplitHostPort` for the forms `no_proxy` uses: `host:port` and `[v6]:port`. */
function splitHostPort(p: string): { host: string; port: string } | undefined {
  if (p.startsWith("[")) {
    const end = p.indexOf("]");
    if (end < 0 || p[end + 1] !== ":") return undefined;
    return { host: p.slice(0, end + 1), port: p.slice(end + 2) };
  }
  const colon = p.lastIndexOf(":");
  if (colon < 0 || p.indexOf(":") !== colon) return undefined;
  return { host: p.slice(0, colon), port: p.slice(colon + 1) };
}

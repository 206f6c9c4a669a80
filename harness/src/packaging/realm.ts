// istio-agent's check of registry auth challenges (istio/istio pkg/wasm/imagefetcher.go: the registry transport
// ssrfProtectionTransport runs validateAllRealms on every WWW-Authenticate header of a 401, and refuses the pull
// with "rejected unsafe bearer realm: <reason>"). It applies to every challenge carrying realm="…", Basic ones
// included, from Istio 1.27.8, 1.28.5, 1.29.1 and 1.30 (istio-versions.ts).
//
// What the agent checks is the realm URL as written — the host LITERAL — not where a name resolves: an IP literal
// must not be private, loopback or link-local, and the names "localhost" and "metadata.google.internal" are
// refused; any other host name passes this check (the dial-time guard in pkg/wasm/ssrf.go then blocks only
// link-local and cloud-metadata addresses, and operator-listed BLOCKED_CIDRS_IN_WASM_FETCH ranges).
// Hand-written (a dozen lines in Go, no library has it); it mirrors Go's net/url.Parse and net.IP predicates.
import { isIP } from "node:net";

/** The reason istio-agent refuses a challenge, or undefined when it accepts every realm in it. */
export function unsafeRealmReason(wwwAuthenticate: string): string | undefined {
  let rest = wwwAuthenticate;
  for (;;) {
    const at = rest.indexOf('realm="');
    if (at < 0) return undefined;
    rest = rest.slice(at + 7);
    const end = rest.indexOf('"');
    if (end < 0) return undefined;
    const reason = realmUrlProblem(rest.slice(0, end));
    if (reason) return `rejected unsafe bearer realm: ${reason}`;
    rest = rest.slice(end + 1);
  }
}

/** validateRealmURL: scheme http/https, a host, not a metadata/localhost name, not a private/loopback/link-local IP literal. */
function realmUrlProblem(realm: string): string | undefined {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(realm)?.[1]?.toLowerCase() ?? "";
  if (scheme !== "http" && scheme !== "https") return `realm scheme "${scheme}" not allowed`;
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    return `invalid realm URL: ${JSON.stringify(realm)}`;
  }
  // Go's Hostname() keeps the case and strips IPv6 brackets; WHATWG URL lower-cases, so read the authority as written.
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(realm)?.[1] ?? "";
  const hostPort = authority.slice(authority.lastIndexOf("@") + 1);
  const host = hostPort.startsWith("[") ? hostPort.slice(1, hostPort.indexOf("]")) : hostPort.replace(/:[0-9]*$/, "");
  if (host === "" || url.host === "") return "realm missing host";
  if (host === "metadata.google.internal") return "realm targets cloud metadata service";
  if (host === "localhost") return "realm targets localhost";
  if (isIP(host) && isPrivateLoopbackOrLinkLocal(host)) return "realm targets private/loopback/link-local IP";
  return undefined;
}

/** Go's ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() for an IP literal (IPv4-mapped IPv6 included). */
export function isPrivateLoopbackOrLinkLocal(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const v4 = isIP(ip) === 4 ? ip : mapped;
  if (v4) {
    const [a, b] = v4.split(".").map(Number) as [number, number];
    return (
      a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254)
    );
  }
  const first = parseInt(expandIpv6(ip)[0]!, 16);
  return (
    expandIpv6(ip).join(":") === "0000:0000:0000:0000:0000:0000:0000:0001" ||
    (first & 0xfe00) === 0xfc00 ||
    (first & 0xffc0) === 0xfe80
  );
}

function expandIpv6(ip: string): string[] {
  const [head, tail = ""] = ip.split("::");
  const left = head ? head.split(":") : [];
  const right = ip.includes("::") && tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left;
  return groups.map((g) => g.padStart(4, "0").toLowerCase());
}

// The one thing Envoy needs to know about an upstream a test started: where it listens and what it speaks.

/** A loopback endpoint Envoy can route to. Every upstream of this folder is one. */
export interface UpstreamEndpoint {
  /** Always a loopback address (tests may only send traffic to loopback). */
  readonly host: string;
  readonly port: number;
  /** "http1" and "h2c" are HTTP upstreams (h2c also suits gRPC), "tcp" a raw byte stream. */
  readonly protocol: "http1" | "h2c" | "tcp";
}

/** Header maps as received: lower-case name → every value, in arrival order (repeated headers keep all values). */
export type HeaderValues = Record<string, string[]>;

/** Turns Node's flat `rawHeaders` ([name, value, name, value…]) into {@link HeaderValues}; drops HTTP/2 pseudo-headers. */
export function headerValuesFromRaw(raw: readonly string[]): HeaderValues {
  const out: HeaderValues = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name.startsWith(":")) continue;
    (out[name] ??= []).push(raw[i + 1]!);
  }
  return out;
}

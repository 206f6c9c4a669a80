// Normalisation: what both backends observe becomes comparable text. Only values that differ between any two
// runs of the same Envoy (ports, request ids, dates, timings) and headers added by the transport outside the
// filter's reach are touched; everything the filter can see or change is kept as is.

/**
 * Headers removed from the client's view of a response, with why: they are written by Envoy's codec after the
 * filter chain (date, server), describe the connection rather than the message (connection, keep-alive,
 * content-length, transfer-encoding: Envoy re-frames bodies a filter changed), or measure time.
 */
export const CLIENT_TRANSPORT_HEADERS: ReadonlySet<string> = new Set([
  "date",
  "server",
  "connection",
  "keep-alive",
  "content-length",
  "transfer-encoding",
  "x-envoy-upstream-service-time",
]);

/**
 * Headers removed from the upstream's view of a request: `host` (the emulator keeps :authority), framing
 * (content-length, transfer-encoding), and x-envoy-expected-rq-timeout-ms, which the router adds after the filter.
 */
export const UPSTREAM_TRANSPORT_HEADERS: ReadonlySet<string> = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "x-envoy-expected-rq-timeout-ms",
]);

/**
 * Headers left out of what a user's callout service sees: what Envoy's HTTP async client adds on the way
 * (host/framing, x-envoy-*, x-forwarded-proto, x-request-id) and the emulator does not.
 */
export const CALLOUT_TRANSPORT_HEADERS: ReadonlySet<string> = new Set([
  ...UPSTREAM_TRANSPORT_HEADERS,
  "x-forwarded-proto",
  "x-request-id",
  "x-envoy-internal",
  "x-envoy-expected-rq-timeout-ms",
]);

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const LOOPBACK_PORT = /127\.0\.0\.1:\d+/g;
const HTTP_DATE = /(date: )[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT/g;
const SERVICE_TIME = /(x-envoy-upstream-service-time: )\d+/g;

/** Replaces run-specific values in one line of text: loopback ports, request ids, dates, service times. */
export function normaliseText(text: string): string {
  return text
    .replace(UUID, "<uuid>")
    .replace(LOOPBACK_PORT, "127.0.0.1:<port>")
    .replace(HTTP_DATE, "$1<date>")
    .replace(SERVICE_TIME, "$1<ms>");
}

/**
 * A module's log line as an event: the probe's `<tag> ` prefix is removed (the tag is the scenario id, the same on
 * both backends) and run-specific values are normalised. Lines of other origins (SDK abort lines) are kept whole.
 */
export function normaliseEvent(message: string, tag: string): string {
  const text = message.startsWith(`${tag} `) ? message.slice(tag.length + 1) : message;
  return normaliseText(text);
}

/** Header entries → a plain record (repeated headers joined with ", "), without `drop` names, values normalised. */
export function headerRecord(
  entries: Iterable<readonly [string, string]>,
  drop: ReadonlySet<string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rawName, value] of entries) {
    const name = rawName.toLowerCase();
    if (name.startsWith(":") || drop.has(name)) continue;
    out[name] = out[name] === undefined ? normaliseText(value) : `${out[name]}, ${normaliseText(value)}`;
  }
  return sortKeys(out);
}

/** Node/undici style headers (value or array of values) → entries. */
export function entriesOf(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (typeof value === "string") out.push([name, value]);
    else for (const v of value) out.push([name, v]);
  }
  return out;
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

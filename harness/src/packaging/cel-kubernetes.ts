// The Kubernetes CEL library functions Istio's CRD rules call that @bufbuild/cel (a standard CEL engine) does
// not have: the URL library of k8s.io/apiserver/pkg/cel/library/urls.go — `isURL(string)`, `url(string)` and
// the URL accessors. Everything else the rules use (has(), .all(), .contains(), .size(), `in`, ternaries,
// .matches()) is standard CEL and evaluated by @bufbuild/cel itself.
//
// Hand-written because the library only exists in Go: `isURL` is "Go's net/url.ParseRequestURI succeeds", so
// this file reproduces that parser's acceptance rules (net/url/url.go: getScheme, parse with viaRequest=true,
// parseAuthority/parseHost/validOptionalPort, unescape). That matters: `registry.example.com:5000/f/h:v1`
// parses with the scheme "registry.example.com", which is why Istio's url rule refuses it.
import { celFunc, celMethod, CelScalar, mapType, type CelFunc } from "@bufbuild/cel";

/** The CEL type `url(...)` returns here: a string map with the URL's parts (Kubernetes has an opaque URL type). */
const URL_TYPE = mapType(CelScalar.STRING, CelScalar.STRING);

/** The parts of a URL that Kubernetes' URL accessors return. */
export interface ParsedRequestUri {
  scheme: string;
  opaque: string;
  host: string;
  path: string;
  rawQuery: string;
}

/** Go's `url.ParseRequestURI(raw)`: the parsed URL, or an error message when Go refuses it. */
export function parseRequestUri(raw: string): ParsedRequestUri | string {
  if ([...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    return "invalid control character in URL";
  if (raw === "") return "empty url";
  const url: ParsedRequestUri = { scheme: "", opaque: "", host: "", path: "", rawQuery: "" };
  if (raw === "*") return { ...url, path: "*" };
  const scheme = goScheme(raw);
  if (typeof scheme !== "object") return scheme;
  url.scheme = scheme.scheme.toLowerCase();
  let rest = scheme.rest;
  if (rest.endsWith("?") && rest.split("?").length === 2) rest = rest.slice(0, -1);
  else if (rest.includes("?")) {
    url.rawQuery = rest.slice(rest.indexOf("?") + 1);
    rest = rest.slice(0, rest.indexOf("?"));
  }
  if (!rest.startsWith("/")) {
    if (url.scheme !== "") return { ...url, opaque: rest };
    return "invalid URI for request";
  }
  if (url.scheme !== "" && rest.startsWith("//")) {
    const slash = rest.indexOf("/", 2);
    const authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    rest = slash < 0 ? "" : rest.slice(slash);
    const host = goHost(authority.slice(authority.lastIndexOf("@") + 1));
    if (host.startsWith("!")) return host.slice(1);
    url.host = host;
  }
  if (!validEscapes(rest)) return `invalid URL escape in path`;
  url.path = rest;
  return url;
}

/** Go's getScheme: letters, then letters/digits/+/-/. up to ':'; any other character first means "no scheme". */
function goScheme(raw: string): { scheme: string; rest: string } | string {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return { scheme: "", rest: raw };
      continue;
    }
    if (c === ":") {
      if (i === 0) return "missing protocol scheme";
      return { scheme: raw.slice(0, i), rest: raw.slice(i + 1) };
    }
    return { scheme: "", rest: raw };
  }
  return { scheme: "", rest: raw };
}

/** Go's parseHost (the host part of an authority): the host, or "!<error>". */
function goHost(host: string): string {
  if (host.startsWith("[")) {
    const end = host.lastIndexOf("]");
    if (end < 0) return "!missing ']' in host";
    if (!validOptionalPort(host.slice(end + 1))) return `!invalid port "${host.slice(end + 1)}" after host`;
    return host;
  }
  const colon = host.lastIndexOf(":");
  if (colon >= 0 && !validOptionalPort(host.slice(colon))) return `!invalid port "${host.slice(colon)}" after host`;
  if (!validEscapes(host)) return "!invalid URL escape in host";
  // Characters Go's shouldEscape(c, encodeHost) lets through unescaped in a host (plus non-ASCII bytes).
  for (const c of host)
    if (c.charCodeAt(0) < 0x80 && !/[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"%]/.test(c))
      return `!invalid character "${c}" in host name`;
  return host;
}

function validOptionalPort(port: string): boolean {
  return port === "" || /^:[0-9]*$/.test(port);
}

function validEscapes(text: string): boolean {
  return !/%(?![0-9A-Fa-f]{2})/.test(text);
}

function parts(
  value: ReadonlyMap<unknown, unknown> | { get(key: string): unknown },
  key: keyof ParsedRequestUri,
): string {
  return String((value as { get(key: string): unknown }).get(key) ?? "");
}

function hostname(host: string): string {
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]"));
  const colon = host.lastIndexOf(":");
  return colon >= 0 ? host.slice(0, colon) : host;
}

/**
 * The Kubernetes URL library as @bufbuild/cel functions: `isURL(string) bool`, `url(string) URL` (an error for
 * an invalid URL, as in Kubernetes), and `getScheme/getHost/getHostname/getPort/getEscapedPath/getQuery`-style
 * accessors used by CRD rules (the query accessor returns the raw query string).
 */
export const KUBERNETES_URL_FUNCTIONS: CelFunc[] = [
  celFunc("isURL", [CelScalar.STRING], CelScalar.BOOL, (text) => typeof parseRequestUri(text) === "object"),
  celFunc("url", [CelScalar.STRING], URL_TYPE, (text) => {
    const parsed = parseRequestUri(text);
    if (typeof parsed === "string") throw new Error(`URL parse error during conversion from string: ${parsed}`);
    return new Map(Object.entries(parsed));
  }),
  celMethod("getScheme", URL_TYPE, [], CelScalar.STRING, function () {
    return parts(this, "scheme");
  }),
  celMethod("getHost", URL_TYPE, [], CelScalar.STRING, function () {
    return parts(this, "host");
  }),
  celMethod("getHostname", URL_TYPE, [], CelScalar.STRING, function () {
    return hostname(parts(this, "host"));
  }),
  celMethod("getPort", URL_TYPE, [], CelScalar.STRING, function () {
    const host = parts(this, "host");
    const name = hostname(host);
    const rest = host.slice(host.indexOf(name) + name.length).replace(/^\]/, "");
    return rest.startsWith(":") ? rest.slice(1) : "";
  }),
  celMethod("getEscapedPath", URL_TYPE, [], CelScalar.STRING, function () {
    return parts(this, "path");
  }),
];

/**
 * The cel-go string extension functions Kubernetes enables that Envoy Gateway's CRD rules call and @bufbuild/cel
 * lacks: `upperAscii()` and `lowerAscii()` (ASCII letters only, as cel-go's ext/strings.go defines them).
 */
export const KUBERNETES_STRING_FUNCTIONS: CelFunc[] = [
  celMethod("upperAscii", CelScalar.STRING, [], CelScalar.STRING, function () {
    return String(this).replace(/[a-z]/g, (c) => c.toUpperCase());
  }),
  celMethod("lowerAscii", CelScalar.STRING, [], CelScalar.STRING, function () {
    return String(this).replace(/[A-Z]/g, (c) => c.toLowerCase());
  }),
];

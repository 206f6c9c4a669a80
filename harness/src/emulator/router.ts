// Envoy's router, as the harness configures it (harness/src/envoy/config.ts renders the same RouteSpec for real
// Envoy): routes are tried in order, then a catch-all to the listener's cluster. The route is chosen from the
// request headers as they leave the filter chain (a filter that changes headers clears Envoy's route cache, so the
// route is recomputed then). Each rule names the recorded Envoy trace that shows it
// (test/differential/traces/<version>/<scenario>.json).
import { EmulatorUsageError } from "./errors.ts";
import type { HeaderMap } from "./header-map.ts";
import { DEFAULT_CLUSTER } from "../defaults.ts";

/**
 * How a string is matched (Envoy's StringMatcher). `regex` is a full match (Envoy's RE2 `safe_regex`); it runs here
 * as a JavaScript RegExp anchored at both ends, which agrees with RE2 for the common syntax (no backreferences or
 * lookarounds, which RE2 rejects anyway).
 */
export type StringMatch =
  | { readonly exact: string }
  | { readonly prefix: string }
  | { readonly suffix: string }
  | { readonly contains: string }
  | { readonly regex: string };

/** A header condition: a plain string is an exact value; `{ present: true|false }` checks presence only. */
export type HeaderMatch = string | StringMatch | { readonly present: boolean };

/** One route, tried before the catch-all route to the listener's cluster. */
export interface RouteSpec {
  /** Cluster the matching requests go to. */
  cluster: string;
  /** Path prefix to match (the whole `:path`, query included); default "/" when neither `path` nor `regex` is set. */
  prefix?: string;
  /** Exact path (the query string is not part of the match). */
  path?: string;
  /** Full-match regex on the path without its query string (Envoy `safe_regex`). */
  regex?: string;
  /** `:authority` condition (rendered as a header matcher on `:authority`). */
  authority?: HeaderMatch;
  /** Header name → condition; all must hold. Several values of one header are joined with "," first, as Envoy does. */
  headers?: Record<string, HeaderMatch>;
}

/** The router's decision for one request. */
export type RouteDecision =
  | { readonly kind: "route"; readonly cluster: string }
  | { readonly kind: "no-route"; readonly status: 404; readonly details: "route_not_found" };

export { DEFAULT_CLUSTER };

const NO_ROUTE: RouteDecision = { kind: "no-route", status: 404, details: "route_not_found" };

/** Envoy's route table for one listener: `routes` in order, then the catch-all to `defaultCluster`. */
export class Router {
  readonly #routes: readonly RouteSpec[];
  readonly #defaultCluster: string;
  readonly #regexes = new Map<string, RegExp>();

  constructor(routes: readonly RouteSpec[] = [], defaultCluster: string = DEFAULT_CLUSTER) {
    this.#routes = routes;
    this.#defaultCluster = defaultCluster;
    for (const route of routes) {
      if ([route.prefix, route.path, route.regex].filter((m) => m !== undefined).length > 1) {
        throw new EmulatorUsageError(
          `a route to "${route.cluster}" sets more than one of prefix, path and regex; Envoy matches a route by one of them: keep one.`,
        );
      }
      if (route.regex !== undefined) this.#regex(route.regex);
      for (const m of [route.authority, ...Object.values(route.headers ?? {})])
        if (m && typeof m === "object" && "regex" in m) this.#regex(m.regex);
    }
  }

  /**
   * Picks the route for request headers as they leave the filter chain. A request without `x-forwarded-proto`
   * matches no route: Envoy's route table reads the scheme from it and returns no route when it is empty
   * (VirtualHostImpl::getRouteFromEntries), so the router answers 404 `route_not_found` (traces h1-set-all,
   * h2-remove-forwarded-proto). The connection manager always adds it; only a filter can remove it. With
   * `schemeRequired` false (a test drove raw headers that never had the header) the check is skipped.
   */
  route(headers: HeaderMap, schemeRequired = true): RouteDecision {
    if (schemeRequired && !headers.has("x-forwarded-proto")) return NO_ROUTE;
    for (const route of this.#routes)
      if (this.#matches(route, headers)) return { kind: "route", cluster: route.cluster };
    return { kind: "route", cluster: this.#defaultCluster };
  }

  #matches(route: RouteSpec, headers: HeaderMap): boolean {
    const fullPath = headers.get(":path") ?? "";
    const query = fullPath.indexOf("?");
    const path = query < 0 ? fullPath : fullPath.slice(0, query);
    if (route.path !== undefined && path !== route.path) return false;
    if (route.regex !== undefined && !this.#regex(route.regex).test(path)) return false;
    if (route.path === undefined && route.regex === undefined && !fullPath.startsWith(route.prefix ?? "/"))
      return false;
    if (route.authority !== undefined && !this.#header(route.authority, headers.getAll(":authority"))) return false;
    for (const [name, match] of Object.entries(route.headers ?? {}))
      if (!this.#header(match, headers.getAll(name))) return false;
    return true;
  }

  #header(match: HeaderMatch, values: string[]): boolean {
    if (typeof match === "object" && "present" in match) return values.length > 0 === match.present;
    if (values.length === 0) return false;
    const value = values.join(",");
    if (typeof match === "string") return value === match;
    if ("exact" in match) return value === match.exact;
    if ("prefix" in match) return value.startsWith(match.prefix);
    if ("suffix" in match) return value.endsWith(match.suffix);
    if ("contains" in match) return value.includes(match.contains);
    return this.#regex(match.regex).test(value);
  }

  #regex(source: string): RegExp {
    let re = this.#regexes.get(source);
    if (!re) {
      try {
        re = new RegExp(`^(?:${source})$`, "u");
      } catch (e) {
        throw new EmulatorUsageError(
          `route regex ${JSON.stringify(source)} is not valid: ${(e as Error).message}. Write it in RE2 syntax, as Envoy's safe_regex expects.`,
        );
      }
      this.#regexes.set(source, re);
    }
    return re;
  }
}

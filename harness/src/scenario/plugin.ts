// What a scenario loads, the same on both backends: the probe (test/fixtures/diff-probe) configured by
// `scenario.probe`, or any module configured by `scenario.plugin`; and the upstreams its routes reach.
import type { RouteSpec } from "../emulator/index.ts";
import type { Scenario, ScenarioRequest, ScenarioUpstream } from "./types.ts";
import { ScenarioError } from "./errors.ts";

/** Default upstream answer, shared by both backends. */
export const DEFAULT_UPSTREAM_BODY = "upstream-ok";

/** The name of a scenario's catch-all upstream in its routes (`scenario.upstream`). */
export const MAIN_UPSTREAM = "upstream";

/**
 * The plugin configuration `scenario` runs with (the same bytes go to Envoy and the emulator): the probe's JSON
 * (its commands plus the scenario id as tag), or the configuration of your own module.
 */
export function probeConfig(scenario: Scenario): string {
  if (!scenario.probe) return textOf(scenario.plugin?.configuration);
  return JSON.stringify({ tag: scenario.id, ...(scenario.kind === "tcp" ? { tcp: true } : {}), ...scenario.probe });
}

/** The VM configuration of `scenario` (own modules only; the probe takes none). */
export function vmConfigOf(scenario: Scenario): string {
  return textOf(scenario.plugin?.vmConfiguration);
}

/** The scenario's root id ("" for the probe). */
export function rootIdOf(scenario: Scenario): string {
  return scenario.plugin?.rootId ?? "";
}

/** How an exchange of `scenario` ends on real Envoy: the probe logs `on_delete`; other modules settle when quiet. */
export function settleOf(scenario: Scenario, request: ScenarioRequest): NonNullable<ScenarioRequest["settle"]> {
  return request.settle ?? (scenario.probe ? "on_delete" : "quiet");
}

/** The answer of upstream `name` of `scenario` (MAIN_UPSTREAM: `scenario.upstream`). */
export function upstreamAnswerOf(scenario: Scenario, name: string): ScenarioUpstream {
  return name === MAIN_UPSTREAM ? (scenario.upstream ?? {}) : (scenario.upstreams?.[name] ?? {});
}

/** The scenario's routes with their upstream names as cluster names (prefixed by `clusterPrefix` for Envoy). */
export function routesOf(scenario: Scenario, clusterPrefix = ""): RouteSpec[] {
  return (scenario.routes ?? []).map(({ upstream, ...match }) => {
    if (!scenario.upstreams?.[upstream]) {
      throw new ScenarioError(
        `scenario "${scenario.id}": a route goes to upstream "${upstream}", which is not in its upstreams`,
        { hint: `declare "${upstream}" in scenario.upstreams, or route to one that is declared` },
      );
    }
    return { ...match, cluster: clusterPrefix + upstream };
  });
}

function textOf(value: string | object | undefined): string {
  return value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
}

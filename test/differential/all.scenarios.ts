// Every differential scenario, by suite (the recorder and the trace replay use the whole list).
import type { Scenario } from "@proxy-wasm-as/harness/scenario";
import { bodies } from "./bodies.scenarios.ts";
import { cmRouter } from "./cm-router.scenarios.ts";
import { control, grpcAndTimeouts } from "./control.scenarios.ts";
import { hostcalls } from "./hostcalls.scenarios.ts";
import { httpBasics } from "./http-basics.scenarios.ts";
import { tcp } from "./tcp.scenarios.ts";

/** Suite name → scenarios, as the *.envoy.test.ts files run them. */
export const SUITES: Readonly<Record<string, readonly Scenario[]>> = {
  "http-basics": httpBasics,
  bodies,
  control,
  "grpc-timeouts": grpcAndTimeouts,
  hostcalls,
  tcp,
  "cm-router": cmRouter,
};

/** Every scenario of every suite. */
export const ALL_SCENARIOS: readonly Scenario[] = Object.values(SUITES).flat();

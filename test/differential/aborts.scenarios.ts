// Scenarios whose module makes Envoy's whole process abort. Envoy's side records the panic; the emulator must throw
// EnvoyWouldAbortError at the same host call (verdict "envoy-aborts"). Each runs in an Envoy of its own: the recorder
// and runDifferential start a new Envoy for the scenarios after one that aborted.
import type { Scenario } from "@proxy-wasm-as/harness/scenario";

export const aborts: Scenario[] = [
  {
    id: "h1-grpc-abort",
    title:
      "a gRPC call to a cluster whose name parses as a targetless GrpcService protobuf aborts Envoy (panic: unset oneof)",
    probe: { on: { request_headers: ["grpc answering-grpc probe.Echo Call ping", "pause"] } },
    grpc: { "answering-grpc": {} }, // 'a' = field 12 fixed64, '-' = field 5 fixed32: valid protobuf with no target
    requests: [{ path: "/abort", clientTimeoutMs: 3000 }],
  },
];

/** A plain scenario run after the aborting ones (runDifferential must start a new Envoy for it). */
export const controlScenarioAfterAbort: Scenario = {
  id: "h1-after-abort",
  title: "a scenario after one that aborted Envoy runs on a new Envoy",
  probe: { on: { request_headers: ["get :path"] } },
  requests: [{ path: "/after" }],
  expect: { responses: [{ status: 200 }], events: ['  get :path -> "/after"'] },
};

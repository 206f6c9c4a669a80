// @proxy-wasm-as/harness: the one public API of the harness.
// Each folder is a layer with its own index; this file only re-exports them.
//   abi/        what Envoy provides and expects (import/export tables) and a module conformance checker
//   emulator/   in-process, Envoy-faithful host for any proxy-wasm module
//   envoy/      real Envoy: provisioning, config builder, process and container runners, observation
//   traffic/    real traffic: undici clients and loopback upstreams (HTTP/1.1, h2c, TCP, gRPC)
//   scenario/   the differential suite: one scenario on the emulator and on real Envoy, compared
//   packaging/  OCI images Istio accepts, registry push/pull, WasmPlugin/TrafficExtension rendering
//   fuzz/       not re-exported here: its own entry `@proxy-wasm-as/harness/fuzz` (fast-check fuzzing on the
//               emulator; it pulls in fast-check and @fast-check/vitest)
export { HarnessError, type HarnessErrorOptions } from "./errors.ts";
export * from "./abi/index.ts";
export * from "./emulator/index.ts";
export * from "./envoy/index.ts";
export * from "./traffic/index.ts";
export * from "./packaging/index.ts";
export * from "./scenario/index.ts";

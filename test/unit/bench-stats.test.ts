// The bench's reading of Envoy's trace log (bench/accounting.ts): the trace lines are counted by name per request.
// (The statistics the bench decides targets with are tested where they live: harness/src/bench/*.test.ts.)
import { expect, test } from "vitest";
import { countEnvoyTrace } from "../../bench/accounting.ts";

test("Envoy's wasm trace lines are counted per request by name, host calls apart from VM entries", () => {
  const lines = [
    "[host->vm] proxy_on_request_headers(3, 12, 1)",
    "[vm->host] env.proxy_get_header_map_value(0, 1, 13, 2, 3)",
    "[host->vm] malloc(268)",
    "[host<-vm] malloc return: 5000",
    "[vm<-host] env.proxy_get_header_map_value return: 0",
    "[host<-vm] proxy_on_request_headers return: 0",
    "[host->vm] proxy_on_request_headers(4, 12, 1)",
    "[vm->host] wasi_snapshot_preview1.clock_time_get(1, 0, 8)",
    "some other wasm log line",
  ];
  expect(countEnvoyTrace(lines, 2)).toEqual({
    vmEntries: { proxy_on_request_headers: 1, malloc: 0.5 },
    hostCalls: { proxy_get_header_map_value: 0.5, "wasi_snapshot_preview1.clock_time_get": 0.5 },
  });
});

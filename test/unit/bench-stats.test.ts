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
    ticks: 0,
  });
});

test("a tick and the host calls of its thread until that thread's next VM entry are not counted as request work", () => {
  const line = (thread: number, message: string) =>
    `[2026-12-07 23:00:00.000][${thread}][trace][wasm] [source/extensions/common/wasm/context.cc:123] ${message}`;
  const lines = [
    line(7, "[host->vm] proxy_on_request_headers(3, 12, 1)"),
    line(1, "[host->vm] proxy_on_tick(1)"), // the main thread's VM
    line(7, "[vm->host] env.proxy_get_header_map_value(0, 1, 13, 2, 3)"),
    line(1, "[vm->host] env.proxy_get_current_time_nanoseconds(8)"),
    line(7, "[host->vm] malloc(268)"),
    line(7, "[host->vm] proxy_on_tick(1)"), // the worker's
    line(7, "[vm->host] env.proxy_get_current_time_nanoseconds(8)"),
    line(7, "[vm->host] env.proxy_increment_metric(1, 2)"),
    line(7, "[host->vm] proxy_on_request_headers(4, 12, 1)"),
    line(7, "[vm->host] env.proxy_replace_header_map_value(0, 1, 9, 2, 7)"),
  ];
  expect(countEnvoyTrace(lines, 2)).toEqual({
    vmEntries: { proxy_on_request_headers: 1, malloc: 0.5 },
    hostCalls: { proxy_get_header_map_value: 0.5, proxy_replace_header_map_value: 0.5 },
    ticks: 2,
  });
});

// The harness preset: builds assembly/ into build/ and provisions Envoy once before the tests (globalSetup),
// registers the filter matchers (toHaveStatus, toHaveHeader, toHaveLogged, …), and sets timeouts that fit a
// first real-Envoy test. Pass vitest options to override any of it.
import { defineFilterConfig } from "@proxy-wasm-as/harness/vitest";

export default defineFilterConfig();

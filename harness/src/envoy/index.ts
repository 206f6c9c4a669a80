// Public API of harness/src/envoy (re-exported by harness/src/index.ts).
export {};

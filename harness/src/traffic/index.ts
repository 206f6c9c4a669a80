// Public API of harness/src/traffic (re-exported by harness/src/index.ts).
export {};

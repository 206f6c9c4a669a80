// Public API of harness/src/packaging (re-exported by harness/src/index.ts).
export {};

// Public API of harness/src/abi (re-exported by harness/src/index.ts).
export {};

// Public API of harness/src/emulator (re-exported by harness/src/index.ts).
export {};

// Plain AssemblyScript in a filter: the globals `console`, `Date`, `performance`, `crypto` and `process`, on WASI as
// Envoy provides it, through @assemblyscript/wasi-shim. The shared asconfig's `use` entries select them (each is
// compiled only when a filter uses it: a filter that does not pays nothing). `abort` and `seed` stay the SDK's own
// (dispatch/abort.ts, dispatch/seed.ts): see the SDK README, "Plain AssemblyScript in a filter".
import "./console";
import "./time";
import "./random";
import "./process";

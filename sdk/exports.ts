// The module exports Envoy needs (ABI marker, malloc, every proxy_on_* callback) plus the abort and seed handlers and
// the plain-AssemblyScript globals (console, Date, performance, crypto, process) on WASI.
// The shared asconfig (sdk/asconfig.json, extended by the root asconfig.json) adds this file as an extra
// entry, so filters never need to re-export it. Building without that asconfig? Add this one line to your
// entry file instead:   export * from "@proxy-wasm-as/sdk/exports";
// The package-name imports below matter: they make this entry share ONE copy of the SDK with user code
// (which must also import "@proxy-wasm-as/sdk", never a relative path into the SDK).
export * from "@proxy-wasm-as/sdk/assembly/dispatch/exports";
import "@proxy-wasm-as/sdk/assembly/dispatch/abort";
import "@proxy-wasm-as/sdk/assembly/dispatch/seed";
import "@proxy-wasm-as/sdk/assembly/wasi/index";

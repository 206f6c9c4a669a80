// PLACEHOLDER from branch `pkg` so that the "./vitest" subpath builds: the `cli` branch writes the real entry point.
import "../node-check.ts";

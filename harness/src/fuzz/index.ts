// PLACEHOLDER from branch `pkg` so that the "./fuzz" subpath builds: the `fuzz` branch writes the real entry point.
import "../node-check.ts";

export {};

// The harness's Node.js version rule, with no side effect and no import, so that anything (the CLI's bin entry
// included) can apply it before loading code that needs a newer Node. node-check.ts applies it on import.

/** The oldest Node.js the harness runs on (undici 8 and the WebAssembly/stream APIs the emulator uses). */
export const MINIMUM_NODE_VERSION = "22.22.0";

/** True when Node.js `version` (e.g. "20.19.5") is at least {@link MINIMUM_NODE_VERSION}. */
export function isSupportedNode(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map((part) => Number.parseInt(part, 10) || 0);
  const [needMajor = 0, needMinor = 0] = MINIMUM_NODE_VERSION.split(".").map(Number);
  return major > needMajor || (major === needMajor && minor >= needMinor);
}

/** Returns the one-line error for Node.js `version` (e.g. "20.19.5"), or undefined when it is new enough. */
export function unsupportedNodeMessage(version: string): string | undefined {
  if (isSupportedNode(version)) return undefined;
  return (
    `@proxy-wasm-as/harness needs Node.js >= ${MINIMUM_NODE_VERSION}, this is Node.js ${version}: ` +
    `install Node 22 or newer (e.g. \`nvm install 22\`), or run one command with it: \`npx -p node@22 -- npx vitest\``
  );
}

// Imported first by every public entry point of @proxy-wasm-as/harness, for its side effect only: on a Node.js
// older than the harness needs, importing the harness fails at once with one line saying what to do, instead
// of a crash deep inside undici or a type-stripping error.

/** The oldest Node.js the harness runs on (undici 8 and the WebAssembly/stream APIs the emulator uses). */
export const MINIMUM_NODE_VERSION = "22.22.0";

/**
 * Returns the one-line error for Node.js `version` (e.g. "20.19.5"), or undefined when it is new enough.
 * Exported for the test of this rule; the check itself runs when this module is first imported.
 */
export function unsupportedNodeMessage(version: string): string | undefined {
  const [major = 0, minor = 0] = version.split(".").map((part) => Number.parseInt(part, 10) || 0);
  const [needMajor = 0, needMinor = 0] = MINIMUM_NODE_VERSION.split(".").map(Number);
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
  return (
    `@proxy-wasm-as/harness needs Node.js >= ${MINIMUM_NODE_VERSION}, this is Node.js ${version}: ` +
    `install Node 22 or newer (e.g. \`nvm install 22\`), or run one command with it: \`npx -p node@22 -- npx vitest\``
  );
}

const message = unsupportedNodeMessage(process.versions.node);
if (message !== undefined) {
  const error = new Error(message);
  // One line, no stack: the stack of a version check tells the user nothing.
  error.stack = `Error: ${message}`;
  throw error;
}

// Imported first by every public entry point of @proxy-wasm-as/harness, for its side effect only: on a Node.js
// older than the harness needs, importing the harness fails at once with one line saying what to do, instead
// of a crash deep inside undici or a type-stripping error. The rule itself is node-version.ts.
import { unsupportedNodeMessage } from "./node-version.ts";

export { MINIMUM_NODE_VERSION, unsupportedNodeMessage } from "./node-version.ts";

const message = unsupportedNodeMessage(process.versions.node);
if (message !== undefined) {
  const error = new Error(message);
  // One line, no stack: the stack of a version check tells the user nothing.
  error.stack = `Error: ${message}`;
  throw error;
}

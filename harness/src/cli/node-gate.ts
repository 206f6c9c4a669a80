// Which `proxy-wasm-as` commands run on any Node.js, and the one line every other command prints on a Node older
// than the harness needs. It imports only the harness's version rule (no undici, Envoy or asc code), so the bin
// entry (main.ts) runs it before it loads anything else.
import { isSupportedNode, MINIMUM_NODE_VERSION } from "../node-version.ts";

/** The program name users type (the same as command.ts's PROGRAM; not imported, to keep this module bare). */
const PROGRAM = "proxy-wasm-as";

/**
 * First arguments that run on any Node.js from 18 on: they use only Node's built-ins. `init` is what
 * `npm create proxy-wasm-as` runs; the project it writes brings Node 22 (its `node` devDependency) for the rest.
 */
export const ANY_NODE_ARGUMENTS: ReadonlySet<string> = new Set(["init", "--version", "-v"]);

/**
 * For `argv` (the CLI's arguments) on Node.js `version`: undefined when the command can run, else the one line
 * to print (no stack trace: the user's problem is the Node version, not our code). Call it before loading commands.
 */
export function cliNodeProblem(argv: readonly string[], version: string = process.versions.node): string | undefined {
  if (isSupportedNode(version) || ANY_NODE_ARGUMENTS.has(argv[0] ?? "")) return undefined;
  return (
    `error: ${PROGRAM} needs Node.js >= ${MINIMUM_NODE_VERSION}, this is Node.js ${version}: in your project run ` +
    `\`npx ${PROGRAM} …\` or an npm script (the project's \`node\` devDependency brings Node 22), ` +
    `or install Node 22 or newer (e.g. \`nvm install 22\`)`
  );
}

#!/usr/bin/env node
// `npm create proxy-wasm-as@latest [dir] [options]`: writes a filter project, as `proxy-wasm-as init` does.
// Plain JavaScript that loads only Node's built-ins, so it runs on whatever Node `npm create` brings (18 and newer):
// dist/ is harness/src/cli/init.ts compiled for Node 18 and templates/ the harness's project templates, both
// built by scripts/build.ts when the package is packed. The project it writes brings its own Node 22 (its `node`
// devDependency) for everything else. Always runs when executed: no "am I the main module" check, so the
// node_modules/.bin symlink `npm create` uses works.
let init;
try {
  init = await import("./dist/cli/init.js");
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND") throw error;
  process.stderr.write(
    "error: this copy of create-proxy-wasm-as is not built (no dist/)\n" +
      "hint: in a clone of proxy-wasm-as, run `npm run pack` first (it builds it and writes the tarballs to packs/)\n",
  );
  process.exit(1);
}
const { CliError, describeError } = await import("./dist/cli/errors.js");

/** Options that take a value (the next argument is not the folder). */
const VALUE_OPTIONS = new Set(["--name", "--from"]);
const args = process.argv.slice(2);
// With no folder given, create ./my-filter rather than scaffolding into the current folder.
const hasFolder = args.some((arg, i) => !arg.startsWith("-") && !VALUE_OPTIONS.has(args[i - 1]));
const wantsHelp = args.includes("--help") || args.includes("-h");
const io = {
  print: (text) => void process.stdout.write(`${text}\n`),
  info: (text) => void process.stderr.write(`${text}\n`),
};
try {
  process.exitCode = await init.initCommand.run([...(hasFolder || wantsHelp ? [] : ["my-filter"]), ...args], io);
} catch (error) {
  io.info(describeError(error));
  process.exitCode = error instanceof CliError ? error.exitCode : 1;
}

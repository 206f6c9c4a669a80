// `proxy-wasm-as list <registry>[/prefix]`: the proxy-wasm modules a registry holds, from its catalog and tags APIs,
// with each tag's metadata (one table row per module; `--json` for machines). Bounded: repositories, tags per
// repository, each request's time.
import { DEFAULT_LIST_LIMIT, DEFAULT_TAGS_PER_REPOSITORY, listModules } from "../packaging/index.ts";
import { type Command, PROGRAM, parseCommandArgs } from "./command.ts";
import { CliError } from "./errors.ts";
import { countFlag, REGISTRY_FLAGS, REGISTRY_FLAGS_HELP, registryOptionsFrom } from "./registry-flags.ts";

/** Highest --max-repositories / --max-tags accepted. */
const MAX_COUNT = 10_000;

const HELP = `Usage: ${PROGRAM} list <host[:port]>[/prefix] [options]

Lists the proxy-wasm modules a registry holds: repositories from its catalog (GET /v2/_catalog, under the prefix),
their tags (GET /v2/<name>/tags/list), and per tag the module's facts from its manifest (title, version, ABI,
exports, size, module sha256) and the manifest digest. Images that are not proxy-wasm images are counted, not listed.

Options:
  --max-repositories <n>  repositories read from the catalog (default ${DEFAULT_LIST_LIMIT})
  --max-tags <n>          tags read per repository (default ${DEFAULT_TAGS_PER_REPOSITORY})
${REGISTRY_FLAGS_HELP}

Example:
  ${PROGRAM} list 127.0.0.1:5000/filters`;

/** The `list` command. */
export const listCommand: Command = {
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("list", argv, {
      ...REGISTRY_FLAGS,
      "max-repositories": { type: "string" },
      "max-tags": { type: "string" },
    });
    if (values.help) {
      io.print(HELP);
      return 0;
    }
    if (positionals.length !== 1) {
      throw new CliError(`list takes one registry address (got ${positionals.length})`, {
        hint: `e.g. \`${PROGRAM} list 127.0.0.1:5000\` or \`${PROGRAM} list registry.example.com/filters\``,
        exitCode: 2,
      });
    }
    const result = await listModules(positionals[0]!, {
      ...registryOptionsFrom("list", values),
      maxRepositories: countFlag("max-repositories", values["max-repositories"], DEFAULT_LIST_LIMIT, MAX_COUNT),
      maxTags: countFlag("max-tags", values["max-tags"], DEFAULT_TAGS_PER_REPOSITORY, MAX_COUNT),
      onProgress: values.json ? undefined : (line) => io.info(line),
    });
    if (values.json) {
      io.print(JSON.stringify(result, null, 2));
      return 0;
    }
    const modules = result.tags.filter((t) => t.inspection);
    const rows = modules.map((t) => {
      const i = t.inspection!;
      const facts = i.metadata.module;
      return [
        `${t.repository}:${t.tag}`,
        [i.metadata.title, i.metadata.version].filter(Boolean).join(" ") || "-",
        facts ? facts.abiVersions.join(",") || "-" : "?",
        facts ? String(facts.size) : "?",
        facts ? `${facts.sha256.slice(0, 12)}…` : "?",
        i.digest.slice(0, 19),
        facts ? facts.exports.map((e) => e.replace(/^proxy_on_/, "")).join(",") || "-" : "(no module facts)",
      ];
    });
    const header = ["MODULE", "TITLE VERSION", "ABI", "SIZE", "MODULE SHA256", "DIGEST", "EXPORTS (proxy_on_*)"];
    const all = [header, ...rows];
    const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
    for (const r of all) io.print(r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  "));
    const skipped = result.tags.filter((t) => t.skipped);
    const notes = [
      `${modules.length} module(s) on ${result.registry}${result.prefix ? `/${result.prefix}` : ""}`,
      ...(skipped.length
        ? [
            `${skipped.length} tag(s) skipped: ${skipped.map((t) => `${t.repository}:${t.tag} (${t.skipped})`).join("; ")}`,
          ]
        : []),
      ...(result.repositoriesTruncated ? [`more repositories than --max-repositories: raise it or list a prefix`] : []),
      ...(result.tagsTruncated.length ? [`more tags than --max-tags in: ${result.tagsTruncated.join(", ")}`] : []),
      ...(result.note ? [result.note] : []),
    ];
    for (const note of notes) io.info(note);
    return 0;
  },
};

// The harness's public surface, one API report per entry point (harness/api/<entry>.api.md), written by API
// Extractor from the published declarations, so that a change to what users can import shows up in review.
//   npm run api:report              rebuild harness/dist and rewrite the reports (commit them with the change)
//   node scripts/api-report.ts --check   fail, with the differences, when a report is out of date (lint:packages)
// Reads harness/dist: the build runs first unless --no-build says dist/ is fresh (lint:packages has just packed).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CompilerState,
  Extractor,
  ExtractorConfig,
  ExtractorLogLevel,
  type ExtractorMessage,
} from "@microsoft/api-extractor";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PACKAGE_DIR = join(ROOT, "harness");
const REPORT_DIR = join(PACKAGE_DIR, "api");
const check = process.argv.includes("--check");

/** Each subpath of the package's exports map and the declaration file it resolves to. */
function entryPoints(): Array<{ report: string; declarations: string }> {
  const exportsMap = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8")).exports as Record<
    string,
    { types?: string } | string
  >;
  return Object.entries(exportsMap)
    .filter(([, target]) => typeof target === "object" && target.types)
    .map(([subpath, target]) => ({
      report: subpath === "." ? "harness" : subpath.slice(2),
      declarations: join(PACKAGE_DIR, (target as { types: string }).types),
    }));
}

if (!process.argv.includes("--no-build")) {
  execFileSync(process.execPath, [join(PACKAGE_DIR, "scripts/build.ts")], { stdio: "inherit" });
}
const entries = entryPoints();
const missing = entries.filter((e) => !existsSync(e.declarations));
if (missing.length) {
  console.error(`api-report: ${missing.map((e) => e.declarations).join(", ")} missing: build the harness first`);
  process.exit(1);
}

const scratch = mkdtempSync(join(tmpdir(), "pwas-api-"));
mkdirSync(REPORT_DIR, { recursive: true });
const configFor = (entry: { report: string; declarations: string }) =>
  ExtractorConfig.prepare({
    configObject: {
      projectFolder: PACKAGE_DIR,
      mainEntryPointFilePath: entry.declarations,
      compiler: {
        // The package's own settings, plus lib "dom" for the `WebAssembly` namespace its declarations name
        // (API Extractor cannot follow that global through @types/node alone).
        overrideTsconfig: {
          compilerOptions: {
            target: "es2023",
            module: "nodenext",
            moduleResolution: "nodenext",
            lib: ["es2024", "esnext.disposable", "dom"],
            types: ["node"],
            skipLibCheck: true,
          },
        },
      },
      apiReport: {
        enabled: true,
        reportFolder: REPORT_DIR,
        reportTempFolder: scratch,
        reportFileName: entry.report,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        extractorMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
        tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
        compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Warning } },
      },
    },
    configObjectFullPath: join(PACKAGE_DIR, "api-extractor.json"),
    packageJsonFullPath: join(PACKAGE_DIR, "package.json"),
  });

/** The first lines of a unified diff from the committed report to the one the declarations give now. */
function reportDifference(committed: string, current: string): string {
  try {
    execFileSync("diff", ["-u", committed, current], { encoding: "utf8" });
    return "";
  } catch (error) {
    const text = String((error as { stdout?: string }).stdout ?? "");
    const lines = text.split("\n");
    return lines.slice(0, 60).join("\n") + (lines.length > 60 ? `\n… (${lines.length - 60} more lines)` : "");
  }
}

const configs = entries.map(configFor);
// One TypeScript program for every entry point (one per entry would take a minute).
const compilerState = CompilerState.create(configs[0]!, {
  additionalEntryPoints: configs.slice(1).map((c) => c.mainEntryPointFilePath),
});
const stale: string[] = [];
const problems: string[] = [];
for (const config of configs) {
  const result = Extractor.invoke(config, {
    localBuild: !check,
    compilerState,
    messageCallback: (message: ExtractorMessage) => {
      message.handled = true;
      if (message.logLevel === "error" || message.logLevel === "warning") {
        if (/API report file was missing|You have changed the (public API|API signature)/.test(message.text)) return;
        problems.push(`${config.reportFilePath}: ${message.text}`);
      }
    },
  });
  if (!result.apiReportChanged) continue;
  stale.push(config.reportFilePath.slice(ROOT.length));
  if (check) console.error(reportDifference(config.reportFilePath, config.reportTempFilePath));
}
rmSync(scratch, { recursive: true, force: true });
if (problems.length) console.error(problems.join("\n"));
if (check && stale.length) {
  console.error(
    `api-report: the public API changed and these reports are out of date: ${stale.join(", ")}\n` +
      "hint: run `npm run api:report`, review the differences and commit the reports with the change",
  );
  process.exit(1);
}
console.log(
  check
    ? `api-report: ${configs.length} entry points match harness/api/`
    : `api-report: ${configs.length} reports in harness/api/${stale.length ? ` (${stale.length} changed: ${stale.join(", ")})` : ""}`,
);
if (problems.length) process.exit(1);

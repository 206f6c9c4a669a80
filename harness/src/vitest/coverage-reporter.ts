// The main-process half of the coverage provider (see coverage-provider.ts): built on vitest's own
// BaseCoverageProvider, so `coverage.include`/`exclude`, `reportsDirectory`, `clean`, `reportOnFailure` and
// `thresholds` (global, per file, per glob) behave exactly as with vitest's v8 and istanbul providers; the reports
// are istanbul's, as theirs are.
import { relative } from "node:path";
import libCoverage from "istanbul-lib-coverage";
import libReport from "istanbul-lib-report";
import reports from "istanbul-reports";
import { BaseCoverageProvider, type Vitest } from "vitest/node";
import type { CoverageData } from "../emulator/coverage/coverage-data.ts";
import { HarnessError } from "../errors.ts";

/** What one test worker hands to the main process after a test file (coverage-provider.ts writes it). */
export interface WorkerCoverage {
  readonly coverage: CoverageData;
  /** Modules loaded from a path that could not be measured, with the reason. */
  readonly unmeasured: ReadonlyArray<{ readonly path: string; readonly reason: string }>;
}

/** vitest's own declaration of istanbul's CoverageMap (the same object as istanbul-lib-coverage's). */
type VitestCoverageMap = ReturnType<BaseCoverageProvider["createCoverageMap"]>;

/** Name shown in vitest's "Coverage report from …" line. */
const PROVIDER_NAME = "proxy-wasm-as (AssemblyScript on the emulator)";

class EmulatorCoverageProvider extends BaseCoverageProvider {
  readonly #unmeasured = new Map<string, string>();

  initialize(ctx: Vitest): void {
    // BaseCoverageProvider warns when its version differs from vitest's: this provider ships with no version of
    // its own, it runs on the vitest it is given.
    this.version = ctx.version;
    Object.defineProperty(this, "name", { value: PROVIDER_NAME });
    this._initialize(ctx);
  }

  override createCoverageMap(): VitestCoverageMap {
    return libCoverage.createCoverageMap({}) as unknown as VitestCoverageMap;
  }

  async generateCoverage(): Promise<VitestCoverageMap> {
    const map = libCoverage.createCoverageMap({});
    this.#unmeasured.clear();
    await this.readCoverageFiles<WorkerCoverage>({
      onFileRead: (payload) => {
        map.merge(payload.coverage as libCoverage.CoverageMapData);
        for (const { path, reason } of payload.unmeasured) this.#unmeasured.set(path, reason);
      },
      onFinished: async () => {},
      onDebug: Object.assign(() => {}, { enabled: false }),
    });
    map.filter((file) => this.isIncluded(file));
    return map as unknown as VitestCoverageMap;
  }

  override async generateReports(vitestMap: VitestCoverageMap, allTestsRun: boolean | undefined): Promise<void> {
    const coverageMap = vitestMap as unknown as libCoverage.CoverageMap;
    const context = libReport.createContext({
      dir: this.options.reportsDirectory,
      coverageMap,
      watermarks: this.options.watermarks,
    });
    if (this.hasTerminalReporter(this.options.reporter)) {
      this.ctx.logger.log(`\n % Coverage report from ${PROVIDER_NAME}`);
    }
    for (const [reporter, options] of this.options.reporter) {
      reports
        .create(
          reporter as never,
          {
            skipFull: this.options.skipFull,
            projectRoot: this.ctx.config.root,
            ...options,
          } as never,
        )
        .execute(context);
    }
    if (coverageMap.files().length === 0) {
      this.ctx.logger.log(
        " % No AssemblyScript source was measured: no test loaded a module built with a source map (build/coverage/<name>.wasm, built by the preset's global setup, or a module compiled with `asc --sourceMap`).",
      );
    }
    if (this.#unmeasured.size > 0) {
      const paths = [...this.#unmeasured.keys()].map((path) => relative(this.ctx.config.root, path));
      this.ctx.logger.log(
        ` % Not measured (${paths.length} module${paths.length === 1 ? "" : "s"} without a source map or coverage build): ${paths.slice(0, 8).join(", ")}${paths.length > 8 ? ", …" : ""}`,
      );
    }
    if (this.options.thresholds) await this.reportThresholds(vitestMap, allTestsRun);
  }

  override async parseConfigModule(): Promise<never> {
    throw new HarnessError("coverage.thresholds.autoUpdate is not supported by the proxy-wasm-as coverage provider", {
      hint: "set the thresholds by hand in vitest.config.ts (coverage.thresholds)",
    });
  }
}

/** The provider vitest's main process uses (called by coverage-provider.ts's getProvider). */
export function createCoverageProvider(): EmulatorCoverageProvider {
  return new EmulatorCoverageProvider();
}

// The pinned Istio minors: every minor from 1.24 to the newest pinned has CRDs, the newest is the default, the
// generated version list and the README agree with the data, and a minor without CRDs is refused with how to get it.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { crdProvenance, kindsServedBy, pinnedIstioMinors, pinnedIstioVersion, PIN_ISTIO_COMMAND } from "./crds.ts";
import { PackagingError } from "./errors.ts";
import { DEFAULT_ISTIO_VERSION } from "./istio-versions.ts";
import { NEWEST_PINNED_ISTIO, OLDEST_PINNED_ISTIO, PINNED_ISTIO_API_VERSIONS } from "./pinned-istio.ts";

const README = readFileSync(new URL("./README.md", import.meta.url), "utf8");
const minors = pinnedIstioMinors();
const minorNumber = (minor: string) => Number(minor.split(".")[1]);

describe("pinned Istio minors", () => {
  test("every minor from 1.24 to the newest pinned, none missing; 1.31 and 1.32 among them", () => {
    expect(minors[0]).toBe("1.24");
    const newest = minorNumber(minors.at(-1)!);
    expect(minors).toEqual(Array.from({ length: newest - 23 }, (_, i) => `1.${24 + i}`));
    expect(newest).toBeGreaterThanOrEqual(32);
  });

  test("the newest pinned minor is the default", () => {
    expect(DEFAULT_ISTIO_VERSION).toBe(minors.at(-1));
    expect(pinnedIstioVersion()).toEqual({ minor: minors.at(-1), patch: undefined });
  });

  test("pinned-istio.ts (written with the data) names the same versions as the data file", () => {
    expect(Object.keys(PINNED_ISTIO_API_VERSIONS)).toEqual(minors);
    for (const minor of minors) {
      expect(PINNED_ISTIO_API_VERSIONS[minor]).toBe(crdProvenance(minor).version);
      expect(crdProvenance(minor).version).toMatch(new RegExp(`^v${minor.replace(".", "\\.")}\\.\\d+$`));
    }
    expect([OLDEST_PINNED_ISTIO, NEWEST_PINNED_ISTIO]).toEqual([minors[0], minors.at(-1)]);
  });

  test("the README's provenance table is the data's, and its compatibility table has one column per minor", () => {
    const provenance = README.slice(
      README.indexOf("<!-- pinned-istio-crds"),
      README.indexOf("<!-- /pinned-istio-crds"),
    );
    const rows = [...provenance.matchAll(/^\| (1\.\d+) \| (v[\d.]+) \| ([\w, ]+) \|$/gm)].map((m) => m.slice(1));
    expect(rows).toEqual(minors.map((m) => [m, crdProvenance(m).version, kindsServedBy(m).join(", ")]));
    const compatibility = README.slice(README.indexOf("## Compatibility"));
    expect(compatibility.split("\n")[0]).toBe(`## Compatibility, Istio ${minors[0]} to ${minors.at(-1)}`);
    const header = compatibility.split("\n").find((line) => line.startsWith("| |"))!;
    expect(header).toBe(`| | ${minors.join(" | ")} |`);
    const columns = header.split("|").length;
    for (const row of compatibility
      .split("\n\n")[2]!
      .split("\n")
      .filter((l) => l.startsWith("|")))
      expect(row.split("|").length, row).toBe(columns);
    expect(README).toContain(`(\`${minors[0]}\` … \`${minors.at(-1)}\`, optionally with a patch`);
    expect(README).toContain(`default \`${DEFAULT_ISTIO_VERSION}\``);
  });
});

describe("a minor without pinned CRDs", () => {
  const refusal = (version: string) => {
    try {
      pinnedIstioVersion(version);
    } catch (error) {
      return error as PackagingError;
    }
    throw new Error(`Istio ${version} was accepted`);
  };

  test("newer: one error naming the known range, with the upgrade and (for this repository) the pin command", () => {
    const next = `1.${minorNumber(minors.at(-1)!) + 1}`;
    const error = refusal(next);
    expect(error).toBeInstanceOf(PackagingError);
    expect(error.message.split("\n")[0]).toBe(
      `Istio ${next} is newer than the Istio versions this @proxy-wasm-as/harness knows (${minors[0]}–${minors.at(-1)}): it has no CRDs or rules for it`,
    );
    expect(error.hint).toContain("npm install --save-dev @proxy-wasm-as/harness@latest");
    expect(error.hint).toContain(`--istio-version ${minors.at(-1)}`);
    expect(error.hint).toContain(`\`${PIN_ISTIO_COMMAND} ${next}\``);
    expect(refusal(`${next}.2`).message).toBe(error.message);
  });

  test("older: the oldest pinned minor", () => {
    const error = refusal("1.23");
    expect(error.message).toMatch(/^Istio 1\.23 is older than the Istio versions this @proxy-wasm-as\/harness knows/);
    expect(error.hint).toContain(`use --istio-version ${minors[0]} or newer`);
  });

  test("every pinned minor, with or without a patch, is accepted", () => {
    for (const minor of minors) {
      expect(pinnedIstioVersion(minor)).toEqual({ minor, patch: undefined });
      expect(pinnedIstioVersion(`v${minor}.3`)).toEqual({ minor, patch: 3 });
    }
  });
});

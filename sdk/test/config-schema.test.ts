// The SDK's configuration declaration (ConfigSchema) and JsonObject's list getters, on the emulator:
// test/fixtures/config-schema declares a schema with every kind of key and logs what it read.
import { describe, expect, it } from "vitest";
import { fc } from "@fast-check/vitest";
import { fileURLToPath } from "node:url";
import { Emulator, WasmLoadError, type EmulatorOptions } from "@proxy-wasm-as/harness";

const WASM = fileURLToPath(new URL("../../build/config-schema.wasm", import.meta.url));

/** What root "" logs for a configuration: every value, defaults applied (see the fixture). */
interface Seen {
  token: string;
  name: string;
  mode: string;
  enabled: boolean;
  port: number;
  ratio: number;
  allowOrigins: string[];
  weights: number[];
  ports: number[];
  limits: { burst: number; rate: number; stated: boolean };
  routes: Array<{ name: string; weight: number; path: string }>;
  headers: Record<string, string>;
  extraKeys: string[];
}

/** The configuration root "" read from `pluginConfig`. */
async function seen(pluginConfig: object): Promise<Seen> {
  const emu = await Emulator.load(WASM, { pluginConfig });
  const line = emu.logs.find((l) => l.message.startsWith("config "));
  expect(line, "the fixture logs what it read").toBeDefined();
  return JSON.parse(line!.message.slice("config ".length)) as Seen;
}

/** The ONE error line of a configuration the fixture refuses (Envoy's rule: onConfigure returned false). */
async function refusal(pluginConfig: string | object, options: EmulatorOptions = {}): Promise<string> {
  const error = await Emulator.load(WASM, { ...options, pluginConfig }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `refused: ${JSON.stringify(pluginConfig).slice(0, 200)}`).toBeInstanceOf(WasmLoadError);
  expect((error as WasmLoadError).message).toMatch(/proxy_on_configure returned false/);
  const lines = (error as WasmLoadError).logs.filter((l) => l.level === "error" || l.level === "critical");
  expect(lines).toHaveLength(1);
  return lines[0]!.message;
}

const DEFAULTS: Seen = {
  token: "t",
  name: "demo",
  mode: "strict",
  enabled: true,
  port: 8080,
  ratio: 0.5,
  allowOrigins: ["*"],
  weights: [1.5],
  ports: [80, 443],
  limits: { burst: 10, rate: 2.5, stated: false },
  routes: [],
  headers: {},
  extraKeys: [],
};

/** Characters a message escapes (quote, backslash, control characters). */
function isEscapedInMessages(character: string): boolean {
  const code = character.codePointAt(0)!;
  return character === '"' || character === "\\" || code < 0x20 || code === 0x7f;
}

describe("ConfigSchema (emulator)", () => {
  it("applies every default when only the required key is given", async () => {
    expect(await seen({ token: "t" })).toEqual(DEFAULTS);
  });

  it("reads every kind of value: strings, enumerations, booleans, numbers, lists, nested objects, maps", async () => {
    const config = {
      token: "secret",
      name: "edge",
      mode: "lenient",
      enabled: false,
      port: 443,
      ratio: -0.25,
      allowOrigins: ["https://a.example", "https://b.example"],
      weights: [0.5, 2, 1e3],
      ports: [1000, 65535],
      limits: { burst: 3 },
      routes: [{ name: "api" }, { name: "web", weight: 100 }],
      headers: { "x-a": "1", "x-b": "" },
      extra: { anything: [1, { deep: null }], goes: true },
    };
    const { extra: _extra, ...plain } = config;
    expect(await seen(config)).toEqual({
      ...plain,
      weights: [0.5, 2, 1000],
      limits: { burst: 3, rate: 2.5, stated: true },
      routes: [
        { name: "api", weight: 1, path: "routes[0]" },
        { name: "web", weight: 100, path: "routes[1]" },
      ],
      extraKeys: ["anything", "goes"],
    });
  });

  it("refuses an unknown key with the closest known one, at the top and nested, before any other problem", async () => {
    expect(await refusal({ token: "t", allowOrigin: ["*"] })).toBe(
      "invalid plugin configuration: unknown key `allowOrigin` (did you mean `allowOrigins`?); known keys: token, name, mode, enabled, port, ratio, allowOrigins, weights, ports, limits, routes, headers, extra",
    );
    // `token` is missing too: the misspelling is the better explanation and comes first.
    expect(await refusal({ tokn: "t" })).toMatch(
      /^invalid plugin configuration: unknown key `tokn` \(did you mean `token`\?\)/,
    );
    expect(await refusal({ token: "t", limits: { brust: 2 } })).toBe(
      "invalid plugin configuration: unknown key `limits.brust` (did you mean `burst`?); known keys: burst, rate",
    );
    expect(await refusal({ token: "t", routes: [{ name: "a" }, { name: "b", wieght: 2 }] })).toMatch(
      /^invalid plugin configuration: unknown key `routes\[1\]\.wieght` \(did you mean `weight`\?\); known keys: name, weight$/,
    );
    // The contents of a schema-less object are not checked.
    expect((await seen({ token: "t", extra: { whatever: 1 } })).extraKeys).toEqual(["whatever"]);
  });

  it("refuses a missing required key, at the top and in a list of objects", async () => {
    expect(await refusal({})).toBe("invalid plugin configuration: token: missing (required)");
    expect(await refusal({ token: "t", routes: [{ name: "a" }, { weight: 2 }] })).toBe(
      "invalid plugin configuration: routes[1].name: missing (required)",
    );
  });

  it("refuses a value of the wrong type, naming its path and what it got", async () => {
    const cases: Array<[object, string]> = [
      [{ token: 5 }, "token: expected a string, got 5"],
      [{ token: null }, "token: expected a string, got null"],
      [{ token: "t", name: "" }, 'name: expected a non-empty string, got ""'],
      [{ token: "t", enabled: "yes" }, 'enabled: expected true or false, got "yes"'],
      [{ token: "t", port: "80" }, 'port: expected an integer from 1 to 65535, got "80"'],
      [{ token: "t", ratio: [] }, "ratio: expected a number, got []"],
      [{ token: "t", allowOrigins: "*" }, 'allowOrigins: expected a list of strings, got "*"'],
      [{ token: "t", allowOrigins: ["a", "b", 3] }, "allowOrigins[2]: expected a string, got 3"],
      [{ token: "t", weights: [1, "2"] }, 'weights[1]: expected a number, got "2"'],
      [{ token: "t", limits: [1] }, "limits: expected an object, got an array"],
      [{ token: "t", routes: {} }, "routes: expected a list of objects, got an object"],
      [{ token: "t", routes: [{ name: "a" }, "b"] }, 'routes[1]: expected an object, got "b"'],
      [{ token: "t", headers: { "x-a": "1", "x-b": false } }, 'headers["x-b"]: expected a string, got false'],
      [{ token: "t", headers: ["x-a"] }, "headers: expected an object of strings, got an array"],
      [{ token: "t", extra: "x" }, 'extra: expected an object, got "x"'],
    ];
    for (const [config, message] of cases)
      expect(await refusal(config)).toBe(`invalid plugin configuration: ${message}`);
  });

  it("refuses numbers out of range, fractions where an integer is declared, and empty lists declared non-empty", async () => {
    const cases: Array<[object, string]> = [
      [{ token: "t", limits: { burst: -2 } }, "limits.burst: expected an integer >= 1, got -2"],
      [{ token: "t", limits: { burst: 1.5 } }, "limits.burst: expected an integer >= 1, got 1.5"],
      [{ token: "t", limits: { rate: 1000.5 } }, "limits.rate: expected a number from 0 to 1000, got 1000.5"],
      [{ token: "t", port: 0 }, "port: expected an integer from 1 to 65535, got 0"],
      [{ token: "t", port: 65536 }, "port: expected an integer from 1 to 65535, got 65536"],
      [{ token: "t", ports: [80, 70000] }, "ports[1]: expected an integer from 1 to 65535, got 70000"],
      [{ token: "t", ports: [] }, "ports: expected a non-empty list, got []"],
      [
        { token: "t", routes: [{ name: "a", weight: 101 }] },
        "routes[0].weight: expected an integer from 0 to 100, got 101",
      ],
      [{ token: "t", limits: { burst: 1e300 } }, "limits.burst: expected an integer >= 1, got 1e300"],
    ];
    for (const [config, message] of cases)
      expect(await refusal(config)).toBe(`invalid plugin configuration: ${message}`);
    // The bounds themselves are accepted.
    const edges = await seen({ token: "t", port: 1, ports: [65535], limits: { burst: 1, rate: 1000 } });
    expect([edges.port, edges.ports, edges.limits.burst, edges.limits.rate]).toEqual([1, [65535], 1, 1000]);
  });

  it("refuses a value outside an enumeration, suggesting the near one", async () => {
    expect(await refusal({ token: "t", mode: "strikt" })).toBe(
      'invalid plugin configuration: mode: expected one of "strict", "lenient", got "strikt" (did you mean "strict"?)',
    );
    expect(await refusal({ token: "t", mode: 1 })).toBe(
      'invalid plugin configuration: mode: expected one of "strict", "lenient", got 1',
    );
  });

  it("keeps messages about hostile values short and on one line", async () => {
    const message = await refusal({ token: "t", port: `"\n${"x".repeat(10_000)}` });
    expect(message).toBe(
      `invalid plugin configuration: port: expected an integer from 1 to 65535, got "\\"\\u000a${"x".repeat(38)}…"`,
    );
    expect(await refusal({ token: "t", [`a\n${"k".repeat(100)}`]: 1 })).toBe(
      `invalid plugin configuration: unknown key \`a\\u000a${"k".repeat(38)}…\`; known keys: token, name, mode, enabled, port, ratio, allowOrigins, weights, ports, limits, routes, headers, extra`,
    );
    // Still capped before parsing, still one line.
    expect(await refusal({ token: "t", extra: { pad: "x".repeat(70_000) } })).toMatch(
      /^invalid plugin configuration: \d+ bytes, over the limit of 65536 bytes$/,
    );
    expect(await refusal(`{"token": "t", "extra": ${"[".repeat(100)}${"]".repeat(100)}}`)).toMatch(
      /^invalid plugin configuration: JSON nested deeper than 64 levels/,
    );
  });

  it("lets the filter refuse for its own reasons with the same path format (refuse)", async () => {
    expect(await refusal({ token: "t", name: "refuse-me" })).toBe(
      "invalid plugin configuration: name: is refused by the filter itself",
    );
    expect(await refusal({ token: "t", ports: [1, 2] })).toBe("invalid plugin configuration: ports[0]: must not be 1");
  });

  it("checks any JSON object with check(), logging nothing, with a path before every path", async () => {
    const load = (document: unknown) => Emulator.load(WASM, { rootId: "check", pluginConfig: { document } });
    const ok = await load({ items: [1, 2] });
    expect(ok.logs.map((l) => l.message)).toContain("checked [1,2]");
    const bad = await load({ items: [1, 20] });
    expect(bad.logs.filter((l) => l.level === "error")).toEqual([]);
    expect(bad.logs.map((l) => l.message)).toContain(
      "error document.items[1]: expected an integer from 0 to 9, got 20",
    );
    const unknown = await load({ itmes: [] });
    expect(unknown.logs.map((l) => l.message)).toContain(
      "error unknown key `document.itmes` (did you mean `items`?); known keys: items",
    );
  });

  it("aborts when a filter reads a field through an object of another schema or declares a key twice (bugs, not configuration errors)", async () => {
    const error = await Emulator.load(WASM, { rootId: "misuse", pluginConfig: {} }).then(
      () => null,
      (e: unknown) => e as WasmLoadError,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.logs.map((l) => l.message).join("\n")).toMatch(
      /abort: configuration key `port` read from an object of another schema/,
    );
    expect(error!.logs.map((l) => l.message)).not.toContain("port 8080"); // it stopped there
    const twice = await Emulator.load(WASM, { rootId: "twice", pluginConfig: {} }).then(
      () => null,
      (e: unknown) => e as WasmLoadError,
    );
    expect(twice!.logs.map((l) => l.message).join("\n")).toMatch(/abort: configuration key `key` is declared twice/);
  });

  describe("properties (fast-check)", () => {
    const safeString = fc.string({ maxLength: 12 });
    const quarter = fc.integer({ min: -4_000_000, max: 4_000_000 }).map((n) => n / 4);
    /** A valid configuration: any subset of the optional keys, each with a valid value. */
    const validConfig = fc.record(
      {
        token: safeString,
        name: fc.string({ minLength: 1, maxLength: 12 }),
        mode: fc.constantFrom("strict", "lenient"),
        enabled: fc.boolean(),
        port: fc.integer({ min: 1, max: 65535 }),
        ratio: quarter,
        allowOrigins: fc.array(safeString, { maxLength: 5 }),
        weights: fc.array(quarter, { maxLength: 5 }),
        ports: fc.array(fc.integer({ min: 2, max: 65535 }), { minLength: 1, maxLength: 5 }),
        limits: fc.record(
          { burst: fc.integer({ min: 1, max: 2 ** 40 }), rate: fc.integer({ min: 0, max: 4000 }).map((n) => n / 4) },
          { requiredKeys: [] },
        ),
        routes: fc.array(
          fc.record({ name: fc.string({ minLength: 1, maxLength: 8 }), weight: fc.integer({ min: 0, max: 100 }) }),
          {
            maxLength: 3,
          },
        ),
        headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), safeString, { maxKeys: 4 }),
      },
      { requiredKeys: ["token"] },
    );

    it("any valid configuration is accepted and read back exactly, with defaults for what it leaves out", async () => {
      await fc.assert(
        fc.asyncProperty(validConfig, async (config) => {
          if (config.name === "refuse-me") return;
          const got = await seen(config);
          const limits = config.limits ?? {};
          expect(got).toEqual({
            ...DEFAULTS,
            ...config,
            limits: { ...DEFAULTS.limits, ...limits, stated: limits.burst !== undefined },
            routes: (config.routes ?? []).map((route, i) => ({ ...route, path: `routes[${i}]` })),
            headers: { ...config.headers },
            extraKeys: [],
          });
        }),
        { numRuns: 60 },
      );
    });

    it("any key that is not declared is refused and named, whatever else the configuration holds", async () => {
      const declared = new Set(
        Object.keys(DEFAULTS)
          .filter((k) => k !== "extraKeys")
          .concat("extra"),
      );
      // Any Unicode text; quotes, backslashes and control characters are escaped in the message (tested above).
      const unknownKey = fc
        .string({ unit: "grapheme", minLength: 1, maxLength: 12 })
        .filter((k) => k.length <= 40 && !declared.has(k) && ![...k].some(isEscapedInMessages));
      await fc.assert(
        fc.asyncProperty(validConfig, unknownKey, fc.jsonValue({ maxDepth: 2 }), async (config, key, value) => {
          const message = await refusal({ ...config, [key]: value });
          expect(message.startsWith(`invalid plugin configuration: unknown key \`${key}\``)).toBe(true);
        }),
        { numRuns: 40 },
      );
    });
  });
});

describe("JsonObject list getters (emulator)", () => {
  /** The three lines root "lists" logs for `pluginConfig`. */
  async function lists(pluginConfig: object): Promise<string[]> {
    const emu = await Emulator.load(WASM, { rootId: "lists", pluginConfig });
    return emu.logs.map((l) => l.message).filter((m) => /^(strings|numbers|integers) /.test(m));
  }

  it("read lists of strings, numbers and integers, with the fallback when absent", async () => {
    expect(await lists({ strings: ["a", "b"], numbers: [1.5, -2], integers: [3, 4] })).toEqual([
      'strings ["a","b"]',
      "numbers [1.5,-2.0]",
      "integers [3,4]",
    ]);
    expect(await lists({})).toEqual(['strings ["fallback"]', "numbers []", "integers [7]"]);
  });

  it("name the path of a wrong element or a value that is not a list", async () => {
    expect(await lists({ strings: ["a", "b", 3], numbers: [1, "x"], integers: [1, 2.5] })).toEqual([
      "strings error strings[2]: expected a string, got 3",
      'numbers error numbers[1]: expected a number, got "x"',
      "integers error integers[1]: expected an integer, got 2.5",
    ]);
    expect(await lists({ nested: { strings: { a: 1 }, numbers: "1", integers: [2 ** 54] } })).toEqual([
      "strings error nested.strings: expected a list of strings, got an object",
      'numbers error nested.numbers: expected a list of numbers, got "1"',
      "integers error nested.integers[0]: expected an integer within ±2^53, got 18014398509481984",
    ]);
  });
});

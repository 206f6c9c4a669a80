// An ordered, multi-valued HTTP header map with Envoy's semantics: keys lower-cased, get returns the first value,
// pseudo-headers kept first, byteSize = sum of key and value lengths.

/** Header input accepted by the emulator API: a plain object (array values = several entries) or a list of pairs. */
export type HeadersInit =
  | Readonly<Record<string, string | readonly string[]>>
  | ReadonlyArray<readonly [string, string]>;

/** Ordered multi-valued header map, as Envoy's HeaderMap behaves towards a Wasm filter. */
export class HeaderMap {
  #entries: Array<[string, string]> = [];

  /** Creates a map from an object or a list of pairs; keys are lower-cased. */
  constructor(init?: HeadersInit) {
    if (!init) return;
    const list: ReadonlyArray<readonly [string, string]> = Array.isArray(init)
      ? (init as ReadonlyArray<readonly [string, string]>)
      : Object.entries(init as Record<string, string | readonly string[]>).flatMap(([k, v]) =>
          typeof v === "string" ? [[k, v] as const] : v.map((x) => [k, x] as const),
        );
    for (const [k, v] of list) this.add(k, v);
  }

  /** First value of `key` (case-insensitive), or undefined. */
  get(key: string): string | undefined {
    const k = key.toLowerCase();
    return this.#entries.find((e) => e[0] === k)?.[1];
  }

  /** Every value of `key`, in order. */
  getAll(key: string): string[] {
    const k = key.toLowerCase();
    return this.#entries.filter((e) => e[0] === k).map((e) => e[1]);
  }

  /** True when `key` has at least one value. */
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Appends another entry (Envoy addCopy). Pseudo-headers are kept before regular headers. */
  add(key: string, value: string): void {
    const k = key.toLowerCase();
    if (k.startsWith(":")) {
      const firstRegular = this.#entries.findIndex((e) => !e[0].startsWith(":"));
      if (firstRegular >= 0) {
        this.#entries.splice(firstRegular, 0, [k, value]);
        return;
      }
    }
    this.#entries.push([k, value]);
  }

  /**
   * Replaces every value of `key` with one value, as Envoy's proxy_replace_header_map_value does: the old entries are
   * removed and the new one is appended at the end (a pseudo-header at the end of the pseudo-headers), traces
   * h1-replace-existing-header, h2-replace-existing-header and h1-replace-pseudo-and-multi (Envoy 1.36.4, 1.40.0).
   */
  set(key: string, value: string): void {
    const k = key.toLowerCase();
    this.delete(k);
    this.add(k, value);
  }

  /** Removes every value of `key`. */
  delete(key: string): void {
    const k = key.toLowerCase();
    this.#entries = this.#entries.filter((e) => e[0] !== k);
  }

  /** Removes every entry. */
  clear(): void {
    this.#entries = [];
  }

  /** Entries in Envoy iteration order. */
  entries(): Array<[string, string]> {
    return this.#entries.map((e) => [e[0], e[1]]);
  }

  /** Number of entries (a multi-valued header counts once per value), as passed to on_*_headers. */
  get size(): number {
    return this.#entries.length;
  }

  /** Envoy's HeaderMap::byteSize(): sum of UTF-8 key and value lengths. */
  byteSize(): number {
    const enc = new TextEncoder();
    return this.#entries.reduce((n, [k, v]) => n + enc.encode(k).length + enc.encode(v).length, 0);
  }

  /** A plain object; multi-valued headers are joined with "," (for snapshots and assertions). */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.#entries) out[k] = k in out ? `${out[k]},${v}` : v;
    return out;
  }
}

// The emulated Envoy *process*: what every VM and worker shares. One virtual clock and event loop, shared data
// and shared queues keyed by vm_id, and the stats store. Pass one EmulatorHost to several Emulator.load() calls
// to model several VMs/workers of one Envoy; by default each emulator gets its own host (no globals).
import { EmulatorUsageError } from "./errors.ts";

/** A metric as stored by the process (name without Envoy's `wasmcustom.` prefix). */
export type MetricValue =
  | { readonly type: "counter"; readonly value: bigint }
  | { readonly type: "gauge"; readonly value: bigint }
  | { readonly type: "histogram"; readonly samples: readonly bigint[] };

interface Task {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

/** One shared queue: registered by (vm_id, name); delivery goes to the last registrant. */
export interface SharedQueue {
  readonly token: number;
  readonly vmId: string;
  readonly name: string;
  readonly items: Uint8Array[];
  /** Called (asynchronously, via the event loop) after each enqueue. */
  notify: () => void;
}

/** The shared "Envoy process": virtual clock, event loop, shared data, shared queues and stats. */
export class EmulatorHost {
  #nowMs = 0;
  readonly #epochMs: number;
  #seq = 0;
  #tasks: Task[] = [];
  #cas = 0;
  readonly #sharedData = new Map<string, Map<string, { value: Uint8Array; cas: number }>>();
  readonly #queues = new Map<string, SharedQueue>();
  readonly #queuesByToken = new Map<number, SharedQueue>();
  #nextQueueToken = 1;
  readonly #stats = new Map<string, { type: "counter" | "gauge" | "histogram"; value: bigint; samples: bigint[] }>();

  /** `startTimeMs`: wall-clock time (ms since the epoch) the virtual clock starts at; default: the real time now. */
  constructor(options: { startTimeMs?: number } = {}) {
    this.#epochMs = options.startTimeMs ?? Date.now();
  }

  /** Virtual milliseconds elapsed since the host was created. */
  get nowMs(): number {
    return this.#nowMs;
  }

  /** Virtual wall-clock time in nanoseconds since the epoch (what proxy_get_current_time_nanoseconds reports). */
  wallClockNs(): bigint {
    return BigInt(this.#epochMs + this.#nowMs) * 1_000_000n;
  }

  /** Monotonic clock in ns (WASI clock 1): virtual time plus a fixed 1 s offset, never 0 (Go's runtime needs that). */
  monotonicNs(): bigint {
    return 1_000_000_000n + BigInt(Math.round(this.#nowMs * 1e6));
  }

  /** @internal Schedules `run` at virtual time now + `delayMs` (0 = next flush). Used for async deliveries and timers. */
  post(delayMs: number, run: () => void): void {
    this.#tasks.push({ at: this.#nowMs + Math.max(0, delayMs), seq: this.#seq++, run });
  }

  /** Runs every task due at the current virtual time (including tasks they post for now). Returns how many ran. */
  flush(): number {
    let ran = 0;
    for (;;) {
      const next = this.#takeDue(this.#nowMs);
      if (!next) return ran;
      next.run();
      ran++;
    }
  }

  /** Moves the virtual clock forward by `ms`, running due tasks (timers, ticks, callouts) in time order. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new EmulatorUsageError(`advance(ms): ms must be a number >= 0, got ${ms}`);
    const target = this.#nowMs + ms;
    for (;;) {
      const next = this.#takeDue(target);
      if (!next) break;
      this.#nowMs = Math.max(this.#nowMs, next.at);
      next.run();
    }
    this.#nowMs = target;
  }

  /** Virtual time of the earliest pending task, or undefined when the event loop is idle. */
  nextTaskAt(): number | undefined {
    let at: number | undefined;
    for (const t of this.#tasks) if (at === undefined || t.at < at) at = t.at;
    return at;
  }

  #takeDue(limit: number): Task | undefined {
    let best = -1;
    for (let i = 0; i < this.#tasks.length; i++) {
      const t = this.#tasks[i]!;
      if (t.at > limit) continue;
      const b = this.#tasks[best];
      if (!b || t.at < b.at || (t.at === b.at && t.seq < b.seq)) best = i;
    }
    return best < 0 ? undefined : this.#tasks.splice(best, 1)[0];
  }

  // ---- shared data (namespace = vm_id) ----

  /** Reads a shared-data entry of `vmId`'s namespace. */
  getSharedData(vmId: string, key: string): { value: Uint8Array; cas: number } | undefined {
    return this.#sharedData.get(vmId)?.get(key);
  }

  /** Writes a shared-data entry; `cas` 0 = unconditional. Returns false on a CAS mismatch. */
  setSharedData(vmId: string, key: string, value: Uint8Array, cas: number): boolean {
    let ns = this.#sharedData.get(vmId);
    if (!ns) {
      ns = new Map();
      this.#sharedData.set(vmId, ns);
    }
    const current = ns.get(key);
    if (cas !== 0 && current && current.cas !== cas) return false;
    this.#cas = (this.#cas + 1) >>> 0;
    if (this.#cas === 0) this.#cas = 1;
    ns.set(key, { value: value.slice(), cas: this.#cas });
    return true;
  }

  // ---- shared queues ----

  /** Registers (or re-registers, moving delivery to `notify`) the queue `name` of `vmId`; returns its token. */
  registerQueue(vmId: string, name: string, notify: () => void): number {
    const key = `${vmId}\0${name}`;
    const existing = this.#queues.get(key);
    if (existing) {
      existing.notify = notify;
      return existing.token;
    }
    const q: SharedQueue = { token: this.#nextQueueToken++, vmId, name, items: [], notify };
    this.#queues.set(key, q);
    this.#queuesByToken.set(q.token, q);
    return q.token;
  }

  /** Token of an existing queue, or undefined. */
  resolveQueue(vmId: string, name: string): number | undefined {
    return this.#queues.get(`${vmId}\0${name}`)?.token;
  }

  /** The queue for `token`, or undefined. */
  queue(token: number): SharedQueue | undefined {
    return this.#queuesByToken.get(token);
  }

  /** Appends to a queue and posts its registrant's on_queue_ready. Returns false for an unknown token. */
  enqueue(token: number, value: Uint8Array): boolean {
    const q = this.#queuesByToken.get(token);
    if (!q) return false;
    q.items.push(value.slice());
    this.post(0, () => q.notify());
    return true;
  }

  // ---- stats ----

  /** Creates the stat `name` of `type` if missing (Envoy stores it as `wasmcustom.<name>`). */
  defineStat(name: string, type: "counter" | "gauge" | "histogram"): void {
    if (!this.#stats.has(name)) this.#stats.set(name, { type, value: 0n, samples: [] });
  }

  /** Adds to a counter/gauge or records a histogram sample (rules are enforced by the hostcall layer). */
  updateStat(name: string, op: "add" | "set" | "record", amount: bigint): void {
    const s = this.#stats.get(name);
    if (!s) throw new EmulatorUsageError(`unknown stat ${name}`);
    if (op === "add") s.value += amount;
    else if (op === "set") s.value = amount;
    else s.samples.push(amount);
  }

  /** The stat `name` (without the `wasmcustom.` prefix), or undefined. */
  metric(name: string): MetricValue | undefined {
    const s = this.#stats.get(name);
    if (!s) return undefined;
    return s.type === "histogram" ? { type: s.type, samples: [...s.samples] } : { type: s.type, value: s.value };
  }

  /** Names of every stat defined so far. */
  metricNames(): string[] {
    return [...this.#stats.keys()];
  }
}

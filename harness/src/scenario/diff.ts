// Compares two observations of one scenario field by field, checks a scenario's expectations, and prints the
// side-by-side divergence report.
import type { ExchangeObservation, Scenario, ScenarioObservation } from "./types.ts";

/** One field where the two backends disagree. */
export interface Divergence {
  readonly scenario: string;
  /** Index of the request/connection, or -1 for scenario-wide fields (metrics). */
  readonly exchange: number;
  /** Dotted field, e.g. "client.status", "upstream.headers.x-a", "events", "metrics.hits". */
  readonly field: string;
  /** The value on the left backend (the emulator), as text; "(absent)" when missing. */
  readonly left: string;
  /** The value on the right backend (Envoy). */
  readonly right: string;
}

const ABSENT = "(absent)";
const show = (v: unknown): string =>
  v === undefined ? ABSENT : v === null ? "null" : typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v);

function diffRecords(
  out: Divergence[],
  scenario: string,
  exchange: number,
  field: string,
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): void {
  for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (a[name] !== b[name])
      out.push({ scenario, exchange, field: `${field}.${name}`, left: show(a[name]), right: show(b[name]) });
  }
}

function diffExchange(
  out: Divergence[],
  scenario: string,
  i: number,
  a: ExchangeObservation,
  b: ExchangeObservation,
): void {
  const push = (field: string, left: unknown, right: unknown) =>
    out.push({ scenario, exchange: i, field, left: show(left), right: show(right) });
  if ((a.client === null) !== (b.client === null))
    push("client", a.client ? `status ${a.client.status}` : "reset", b.client ? `status ${b.client.status}` : "reset");
  else if (a.client && b.client) {
    if (a.client.status !== b.client.status) push("client.status", a.client.status, b.client.status);
    diffRecords(out, scenario, i, "client.headers", a.client.headers, b.client.headers);
    if (a.client.body !== b.client.body) push("client.body", a.client.body, b.client.body);
    diffRecords(out, scenario, i, "client.trailers", a.client.trailers, b.client.trailers);
  }
  if ((a.upstream === null) !== (b.upstream === null))
    push("upstream", a.upstream ? "received the request" : "nothing", b.upstream ? "received the request" : "nothing");
  else if (a.upstream && b.upstream) {
    if (a.upstream.method !== b.upstream.method) push("upstream.method", a.upstream.method, b.upstream.method);
    if (a.upstream.path !== b.upstream.path) push("upstream.path", a.upstream.path, b.upstream.path);
    diffRecords(out, scenario, i, "upstream.headers", a.upstream.headers, b.upstream.headers);
    if (a.upstream.body !== b.upstream.body) push("upstream.body", a.upstream.body, b.upstream.body);
    diffRecords(out, scenario, i, "upstream.trailers", a.upstream.trailers, b.upstream.trailers);
  }
  if (a.tcp || b.tcp) {
    if (a.tcp?.received !== b.tcp?.received) push("tcp.received", a.tcp?.received, b.tcp?.received);
    if (a.tcp?.upstreamReceived !== b.tcp?.upstreamReceived)
      push("tcp.upstreamReceived", a.tcp?.upstreamReceived, b.tcp?.upstreamReceived);
  }
  const length = Math.max(a.events.length, b.events.length);
  for (let line = 0; line < length; line++) {
    if (a.events[line] !== b.events[line]) {
      // one divergence for the whole event sequence, located at its first differing line (the report shows all)
      push(`events[${line}]`, a.events[line], b.events[line]);
      break;
    }
  }
}

/** Every difference between two observations of the same scenario (left: usually the emulator). */
export function diffObservations(left: ScenarioObservation, right: ScenarioObservation): Divergence[] {
  const out: Divergence[] = [];
  const n = Math.max(left.exchanges.length, right.exchanges.length);
  for (let i = 0; i < n; i++) {
    const a = left.exchanges[i];
    const b = right.exchanges[i];
    if (!a || !b) {
      out.push({
        scenario: left.scenario,
        exchange: i,
        field: "exchange",
        left: a ? "ran" : ABSENT,
        right: b ? "ran" : ABSENT,
      });
      continue;
    }
    diffExchange(out, left.scenario, i, a, b);
  }
  for (const name of [...new Set([...Object.keys(left.metrics), ...Object.keys(right.metrics)])].sort()) {
    if (left.metrics[name] !== right.metrics[name])
      out.push({
        scenario: left.scenario,
        exchange: -1,
        field: `metrics.${name}`,
        left: show(left.metrics[name]),
        right: show(right.metrics[name]),
      });
  }
  return out;
}

/** Where `observation` breaks the scenario's own expectations (one sentence per failure; empty when all hold). */
export function checkExpectations(scenario: Scenario, observation: ScenarioObservation): string[] {
  const failures: string[] = [];
  const expect = scenario.expect;
  if (!expect) return failures;
  const where = `${observation.backend}`;
  expect.responses?.forEach((want, i) => {
    const got = observation.exchanges[i];
    if (!got) {
      failures.push(`${where}: request ${i} did not run`);
      return;
    }
    if (want.status !== undefined && got.client?.status !== want.status)
      failures.push(`${where}: request ${i} status ${got.client?.status ?? "reset"}, expected ${want.status}`);
    if (want.body !== undefined && got.client?.body !== want.body)
      failures.push(`${where}: request ${i} body ${show(got.client?.body)}, expected ${show(want.body)}`);
    for (const [name, value] of Object.entries(want.headers ?? {})) {
      const actual = got.client?.headers[name];
      if ((value === null && actual !== undefined) || (value !== null && actual !== value))
        failures.push(
          `${where}: request ${i} response header ${name} = ${show(actual)}, expected ${show(value ?? undefined)}`,
        );
    }
    for (const [name, value] of Object.entries(want.trailers ?? {})) {
      if (got.client?.trailers[name] !== value)
        failures.push(
          `${where}: request ${i} response trailer ${name} = ${show(got.client?.trailers[name])}, expected ${show(value)}`,
        );
    }
    if (want.upstream === null && got.upstream !== null)
      failures.push(`${where}: request ${i} reached the upstream, expected it not to`);
    if (want.upstream) {
      if (!got.upstream) failures.push(`${where}: request ${i} did not reach the upstream`);
      else {
        if (want.upstream.body !== undefined && got.upstream.body !== want.upstream.body)
          failures.push(
            `${where}: request ${i} upstream body ${show(got.upstream.body)}, expected ${show(want.upstream.body)}`,
          );
        for (const [name, value] of Object.entries(want.upstream.headers ?? {})) {
          const actual = got.upstream.headers[name];
          if ((value === null && actual !== undefined) || (value !== null && actual !== value))
            failures.push(
              `${where}: request ${i} upstream header ${name} = ${show(actual)}, expected ${show(value ?? undefined)}`,
            );
        }
        for (const [name, value] of Object.entries(want.upstream.trailers ?? {})) {
          if (got.upstream.trailers[name] !== value)
            failures.push(
              `${where}: request ${i} upstream trailer ${name} = ${show(got.upstream.trailers[name])}, expected ${show(value)}`,
            );
        }
      }
    }
  });
  if (expect.events) {
    const all = observation.exchanges.flatMap((e) => e.events);
    let at = 0;
    for (const event of expect.events) {
      const found = all.indexOf(event, at);
      if (found < 0) {
        failures.push(`${where}: event ${show(event)} not logged${at > 0 ? ` after ${show(all[at - 1])}` : ""}`);
        break;
      }
      at = found + 1;
    }
  }
  for (const [name, value] of Object.entries(expect.metrics ?? {})) {
    if (observation.metrics[name] !== value)
      failures.push(`${where}: metric ${name} = ${show(observation.metrics[name])}, expected ${value}`);
  }
  expect.connections?.forEach((want, i) => {
    const got = observation.exchanges[i]?.tcp;
    if (want.received !== undefined && got?.received !== want.received)
      failures.push(
        `${where}: connection ${i} client received ${show(got?.received)}, expected ${show(want.received)}`,
      );
    if (want.upstreamReceived !== undefined && got?.upstreamReceived !== want.upstreamReceived)
      failures.push(
        `${where}: connection ${i} upstream received ${show(got?.upstreamReceived)}, expected ${show(want.upstreamReceived)}`,
      );
  });
  return failures;
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text.slice(0, width - 1)}…` : text + " ".repeat(width - text.length);
}

/**
 * The side-by-side report of one scenario: every divergent field with both values, then, for each exchange whose
 * events differ, both event sequences next to each other (`≠` marks differing lines). `notes` maps a divergence
 * (by index) to why it is known, shown under it.
 */
export function formatSideBySide(
  left: ScenarioObservation,
  right: ScenarioObservation,
  divergences: readonly Divergence[],
  notes: ReadonlyMap<Divergence, string> = new Map(),
): string {
  const width = 58;
  const lines = [
    `scenario ${left.scenario}: ${divergences.length} divergence(s) between ${left.backend} and ${right.backend}`,
    `  ${pad("field", 30)} ${pad(left.backend, width)} ${right.backend}`,
  ];
  for (const d of divergences) {
    const field = pad((d.exchange >= 0 ? `#${d.exchange} ` : "") + d.field, 30);
    if (d.left.length < width) lines.push(`  ${field} ${pad(d.left, width)} ${d.right}`);
    else lines.push(`  ${field} ${left.backend}: ${d.left}`, `  ${" ".repeat(30)} ${right.backend}: ${d.right}`); // too long to sit side by side
    const note = notes.get(d);
    if (note) lines.push(`      known: ${note}`);
  }
  const eventExchanges = new Set(divergences.filter((d) => d.field.startsWith("events")).map((d) => d.exchange));
  for (const i of eventExchanges) {
    const a = left.exchanges[i]?.events ?? [];
    const b = right.exchanges[i]?.events ?? [];
    lines.push(`  events of exchange #${i} (${left.exchanges[i]?.protocol ?? right.exchanges[i]?.protocol}):`);
    for (let k = 0; k < Math.max(a.length, b.length); k++) {
      const mark = a[k] === b[k] ? " " : "≠";
      lines.push(`   ${mark} ${pad(a[k] ?? "", width + 14)} ${b[k] ?? ""}`);
    }
  }
  return lines.join("\n");
}

// "probe": an AssemblyScript proxy-wasm module written against the raw ABI (no SDK) for the emulator's own tests.
// Its plugin configuration is a script: one line per callback, `<callback>: <cmd>; <cmd>; ...`. Each command makes
// one hostcall and logs `<callback> <cmd> -> <status> [<value>]` at info, so tests assert on real hostcall results.
// Compiled by test-support/build-probe.ts (asc, runtime stub, no WASI, abort = unreachable).

@external("env", "proxy_log") declare function proxy_log(level: i32, ptr: usize, size: usize): i32;
@external("env", "proxy_get_header_map_value") declare function proxy_get_header_map_value(t: i32, kp: usize, ks: usize, rp: usize, rs: usize): i32;
@external("env", "proxy_add_header_map_value") declare function proxy_add_header_map_value(t: i32, kp: usize, ks: usize, vp: usize, vs: usize): i32;
@external("env", "proxy_replace_header_map_value") declare function proxy_replace_header_map_value(t: i32, kp: usize, ks: usize, vp: usize, vs: usize): i32;
@external("env", "proxy_remove_header_map_value") declare function proxy_remove_header_map_value(t: i32, kp: usize, ks: usize): i32;
@external("env", "proxy_get_header_map_pairs") declare function proxy_get_header_map_pairs(t: i32, rp: usize, rs: usize): i32;
@external("env", "proxy_set_header_map_pairs") declare function proxy_set_header_map_pairs(t: i32, p: usize, s: usize): i32;
@external("env", "proxy_get_header_map_size") declare function proxy_get_header_map_size(t: i32, rs: usize): i32;
@external("env", "proxy_get_buffer_bytes") declare function proxy_get_buffer_bytes(t: i32, start: i32, max: i32, rp: usize, rs: usize): i32;
@external("env", "proxy_set_buffer_bytes") declare function proxy_set_buffer_bytes(t: i32, start: i32, size: i32, p: usize, s: usize): i32;
@external("env", "proxy_get_buffer_status") declare function proxy_get_buffer_status(t: i32, rs: usize, rf: usize): i32;
@external("env", "proxy_continue_stream") declare function proxy_continue_stream(t: i32): i32;
@external("env", "proxy_close_stream") declare function proxy_close_stream(t: i32): i32;
@external("env", "proxy_send_local_response") declare function proxy_send_local_response(code: i32, dp: usize, ds: usize, bp: usize, bs: usize, hp: usize, hs: usize, grpc: i32): i32;
@external("env", "proxy_get_property") declare function proxy_get_property(pp: usize, ps: usize, rp: usize, rs: usize): i32;
@external("env", "proxy_set_property") declare function proxy_set_property(pp: usize, ps: usize, vp: usize, vs: usize): i32;
@external("env", "proxy_http_call") declare function proxy_http_call(up: usize, us: usize, hp: usize, hs: usize, bp: usize, bs: usize, tp: usize, ts: usize, timeout: i32, tok: usize): i32;
@external("env", "proxy_grpc_call") declare function proxy_grpc_call(sp: usize, ss: usize, np: usize, ns: usize, mp: usize, ms: usize, mdp: usize, mds: usize, msgp: usize, msgs: usize, timeout: i32, tok: usize): i32;
@external("env", "proxy_grpc_stream") declare function proxy_grpc_stream(sp: usize, ss: usize, np: usize, ns: usize, mp: usize, ms: usize, mdp: usize, mds: usize, tok: usize): i32;
@external("env", "proxy_grpc_send") declare function proxy_grpc_send(tok: i32, p: usize, s: usize, end: i32): i32;
@external("env", "proxy_grpc_cancel") declare function proxy_grpc_cancel(tok: i32): i32;
@external("env", "proxy_grpc_close") declare function proxy_grpc_close(tok: i32): i32;
@external("env", "proxy_get_status") declare function proxy_get_status(cp: usize, mp: usize, ms: usize): i32;
@external("env", "proxy_set_effective_context") declare function proxy_set_effective_context(id: i32): i32;
@external("env", "proxy_set_tick_period_milliseconds") declare function proxy_set_tick_period_milliseconds(ms: i32): i32;
@external("env", "proxy_get_shared_data") declare function proxy_get_shared_data(kp: usize, ks: usize, rp: usize, rs: usize, cas: usize): i32;
@external("env", "proxy_set_shared_data") declare function proxy_set_shared_data(kp: usize, ks: usize, vp: usize, vs: usize, cas: i32): i32;
@external("env", "proxy_register_shared_queue") declare function proxy_register_shared_queue(np: usize, ns: usize, tok: usize): i32;
@external("env", "proxy_resolve_shared_queue") declare function proxy_resolve_shared_queue(vp: usize, vs: usize, np: usize, ns: usize, tok: usize): i32;
@external("env", "proxy_enqueue_shared_queue") declare function proxy_enqueue_shared_queue(tok: i32, p: usize, s: usize): i32;
@external("env", "proxy_dequeue_shared_queue") declare function proxy_dequeue_shared_queue(tok: i32, rp: usize, rs: usize): i32;
@external("env", "proxy_define_metric") declare function proxy_define_metric(t: i32, np: usize, ns: usize, id: usize): i32;
@external("env", "proxy_increment_metric") declare function proxy_increment_metric(id: i32, delta: i64): i32;
@external("env", "proxy_record_metric") declare function proxy_record_metric(id: i32, v: i64): i32;
@external("env", "proxy_get_metric") declare function proxy_get_metric(id: i32, rp: usize): i32;
@external("env", "proxy_get_log_level") declare function proxy_get_log_level(rp: usize): i32;
@external("env", "proxy_done") declare function proxy_done(): i32;
@external("env", "proxy_get_current_time_nanoseconds") declare function proxy_get_current_time_nanoseconds(rp: usize): i32;
@external("env", "envoy_resolve_dns") declare function envoy_resolve_dns(np: usize, ns: usize, tok: usize): i32;

export function proxy_abi_version_0_2_1(): void {}

export function malloc(size: i32): usize {
  return heap.alloc(<usize>size);
}

// ---------------------------------------------------------------- helpers

const scratch = memory.data(16);
let script = new Map<string, string>();
let lastStream: i32 = 0;
let lastToken: i32 = 0;
let doneResult: i32 = 1;

function log(msg: string): void {
  const b = String.UTF8.encode(msg);
  proxy_log(2, changetype<usize>(b), <usize>b.byteLength);
}

function bytes(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

function ptr(b: ArrayBuffer): usize {
  return changetype<usize>(b);
}

function len(b: ArrayBuffer): usize {
  return <usize>b.byteLength;
}

function returned(): string {
  const p = load<u32>(scratch);
  const n = load<u32>(scratch + 4);
  if (p == 0) return "";
  return String.UTF8.decodeUnsafe(<usize>p, <usize>n);
}

/** Serialized pairs from "k=v,k=v" (empty → no pairs). */
function pairs(spec: string): ArrayBuffer {
  const items = spec.length == 0 ? new Array<string>(0) : spec.split(",");
  let size = 4;
  for (let i = 0; i < items.length; i++) size += 8 + String.UTF8.byteLength(items[i]) + 1;
  const buf = new ArrayBuffer(size);
  const base = changetype<usize>(buf);
  store<u32>(base, items.length);
  let data = base + 4 + items.length * 8;
  for (let i = 0; i < items.length; i++) {
    const eq = items[i].indexOf("=");
    const k = String.UTF8.encode(items[i].substring(0, eq));
    const v = String.UTF8.encode(items[i].substring(eq + 1));
    store<u32>(base + 4 + i * 8, k.byteLength);
    store<u32>(base + 8 + i * 8, v.byteLength);
    memory.copy(data, changetype<usize>(k), k.byteLength);
    data += k.byteLength;
    store<u8>(data++, 0);
    memory.copy(data, changetype<usize>(v), v.byteLength);
    data += v.byteLength;
    store<u8>(data++, 0);
  }
  return buf;
}

/** Decodes a returned pairs buffer as "k=v,k=v". */
function decodePairs(): string {
  const p = <usize>load<u32>(scratch);
  if (p == 0) return "";
  const n = load<u32>(p);
  let data = p + 4 + n * 8;
  let out = "";
  for (let i: u32 = 0; i < n; i++) {
    const kl = <usize>load<u32>(p + 4 + i * 8);
    const vl = <usize>load<u32>(p + 8 + i * 8);
    if (i > 0) out += ",";
    out += String.UTF8.decodeUnsafe(data, kl) + "=" + String.UTF8.decodeUnsafe(data + kl + 1, vl);
    data += kl + vl + 2;
  }
  return out;
}

function num(s: string): i32 {
  if (s == "$ctx") return lastStream;
  if (s == "$token") return lastToken;
  return I32.parseInt(s);
}

/** Runs the script of `callback`; returns the value of its `return` command, or `dflt`. */
function run(callback: string, dflt: i32): i32 {
  if (!script.has(callback)) return dflt;
  const cmds = script.get(callback).split(";");
  let result = dflt;
  for (let i = 0; i < cmds.length; i++) {
    const cmd = cmds[i].trim();
    if (cmd.length == 0) continue;
    const a = cmd.split(" ");
    const op = a[0];
    let status: i32 = 0;
    let value = "";
    if (op == "return") { result = num(a[1]); continue; }
    else if (op == "log") { log(cmd.substring(4)); continue; }
    else if (op == "trap") { unreachable(); }
    else if (op == "ondone") { doneResult = num(a[1]); continue; }
    else if (op == "get") { const k = bytes(a[2]); status = proxy_get_header_map_value(num(a[1]), ptr(k), len(k), scratch, scratch + 4); if (status == 0) value = returned(); }
    else if (op == "add") { const k = bytes(a[2]); const v = bytes(a[3]); status = proxy_add_header_map_value(num(a[1]), ptr(k), len(k), ptr(v), len(v)); }
    else if (op == "replace") { const k = bytes(a[2]); const v = bytes(a[3]); status = proxy_replace_header_map_value(num(a[1]), ptr(k), len(k), ptr(v), len(v)); }
    else if (op == "remove") { const k = bytes(a[2]); status = proxy_remove_header_map_value(num(a[1]), ptr(k), len(k)); }
    else if (op == "pairs") { status = proxy_get_header_map_pairs(num(a[1]), scratch, scratch + 4); value = decodePairs(); }
    else if (op == "setpairs") { const p = pairs(a.length > 2 ? a[2] : ""); status = proxy_set_header_map_pairs(num(a[1]), ptr(p), len(p)); }
    else if (op == "size") { status = proxy_get_header_map_size(num(a[1]), scratch); if (status == 0) value = load<u32>(scratch).toString(); }
    else if (op == "getbuf") { status = proxy_get_buffer_bytes(num(a[1]), num(a[2]), a.length > 3 ? num(a[3]) : -1, scratch, scratch + 4); if (status == 0) value = returned(); }
    else if (op == "setbuf") { const d = bytes(a.length > 4 ? a[4] : ""); status = proxy_set_buffer_bytes(num(a[1]), num(a[2]), num(a[3]), ptr(d), len(d)); }
    else if (op == "bufstatus") { status = proxy_get_buffer_status(num(a[1]), scratch, scratch + 4); if (status == 0) value = load<u32>(scratch).toString() + " " + load<u32>(scratch + 4).toString(); }
    else if (op == "continue") { status = proxy_continue_stream(num(a[1])); }
    else if (op == "close") { status = proxy_close_stream(num(a[1])); }
    else if (op == "reply") {
      const d = bytes(a[2]); const b = bytes(a.length > 3 ? a[3] : ""); const h = pairs(a.length > 4 ? a[4] : "");
      status = proxy_send_local_response(num(a[1]), ptr(d), len(d), ptr(b), len(b), ptr(h), len(h), -1);
    }
    else if (op == "prop") {
      const path = bytes(a[1].replaceAll(".", "\0"));
      status = proxy_get_property(ptr(path), len(path), scratch, scratch + 4);
      if (status == 0) {
        const n = load<u32>(scratch + 4);
        value = n.toString() + ":" + (a.length > 2 && a[2] == "int" && n == 8 ? load<i64>(<usize>load<u32>(scratch)).toString() : returned());
      }
    }
    else if (op == "setprop") { const p = bytes(a[1]); const v = bytes(a[2]); status = proxy_set_property(ptr(p), len(p), ptr(v), len(v)); }
    else if (op == "call") {
      const c = bytes(a[1]); const h = pairs(a[2]); const b = bytes(a.length > 4 ? a[4] : "");
      status = proxy_http_call(ptr(c), len(c), ptr(h), len(h), ptr(b), len(b), 0, 0, num(a[3]), scratch);
      if (status == 0) { lastToken = load<i32>(scratch); value = lastToken.toString(); }
    }
    else if (op == "grpc") {
      const c = bytes(a[1]); const s = bytes("svc.Echo"); const m = bytes(a[2]); const msg = bytes(a.length > 3 ? a[3] : "");
      status = proxy_grpc_call(ptr(c), len(c), ptr(s), len(s), ptr(m), len(m), 0, 0, ptr(msg), len(msg), 0, scratch);
      if (status == 0) { lastToken = load<i32>(scratch); value = lastToken.toString(); }
    }
    else if (op == "gstream") {
      const c = bytes(a[1]); const s = bytes("svc.Echo"); const m = bytes(a[2]);
      status = proxy_grpc_stream(ptr(c), len(c), ptr(s), len(s), ptr(m), len(m), 0, 0, scratch);
      if (status == 0) { lastToken = load<i32>(scratch); value = lastToken.toString(); }
    }
    else if (op == "gsend") { const m = bytes(a[2]); status = proxy_grpc_send(num(a[1]), ptr(m), len(m), a.length > 3 ? num(a[3]) : 0); }
    else if (op == "gcancel") { status = proxy_grpc_cancel(num(a[1])); }
    else if (op == "gclose") { status = proxy_grpc_close(num(a[1])); }
    else if (op == "status") { status = proxy_get_status(scratch + 8, scratch, scratch + 4); value = load<u32>(scratch + 8).toString() + " " + returned(); }
    else if (op == "effective") { status = proxy_set_effective_context(num(a[1])); }
    else if (op == "tick") { status = proxy_set_tick_period_milliseconds(num(a[1])); }
    else if (op == "shget") { const k = bytes(a[1]); status = proxy_get_shared_data(ptr(k), len(k), scratch, scratch + 4, scratch + 8); if (status == 0) value = returned() + " cas=" + load<u32>(scratch + 8).toString(); }
    else if (op == "shset") { const k = bytes(a[1]); const v = bytes(a[2]); status = proxy_set_shared_data(ptr(k), len(k), ptr(v), len(v), num(a[3])); }
    else if (op == "qreg") { const n = bytes(a[1]); status = proxy_register_shared_queue(ptr(n), len(n), scratch); lastToken = load<i32>(scratch); value = lastToken.toString(); }
    else if (op == "qresolve") { const v = bytes(a[1] == "-" ? "" : a[1]); const n = bytes(a[2]); status = proxy_resolve_shared_queue(ptr(v), len(v), ptr(n), len(n), scratch); if (status == 0) { lastToken = load<i32>(scratch); value = lastToken.toString(); } }
    else if (op == "qenq") { const v = bytes(a[2]); status = proxy_enqueue_shared_queue(num(a[1]), ptr(v), len(v)); }
    else if (op == "qdeq") { status = proxy_dequeue_shared_queue(num(a[1]), scratch, scratch + 4); if (status == 0) value = returned(); }
    else if (op == "metric") { const n = bytes(a[2]); status = proxy_define_metric(num(a[1]), ptr(n), len(n), scratch); lastToken = load<i32>(scratch); value = lastToken.toString(); }
    else if (op == "inc") { status = proxy_increment_metric(num(a[1]), I64.parseInt(a[2])); }
    else if (op == "rec") { status = proxy_record_metric(num(a[1]), I64.parseInt(a[2])); }
    else if (op == "mget") { status = proxy_get_metric(num(a[1]), scratch); if (status == 0) value = load<u64>(scratch).toString(); }
    else if (op == "loglevel") { status = proxy_get_log_level(scratch); value = load<u32>(scratch).toString(); }
    else if (op == "done") { status = proxy_done(); }
    else if (op == "now") { status = proxy_get_current_time_nanoseconds(scratch); value = (load<u64>(scratch) / 1000000).toString() + "ms"; }
    else if (op == "dns") { const n = bytes(a[1]); status = envoy_resolve_dns(ptr(n), len(n), scratch); value = load<u32>(scratch).toString(); }
    else { log("probe: unknown command " + op); continue; }
    log(callback + " " + cmd + " -> " + status.toString() + (value.length > 0 ? " " + value : ""));
  }
  return result;
}

// ---------------------------------------------------------------- callbacks

export function proxy_on_context_create(ctx: i32, parent: i32): void {
  if (parent != 0) lastStream = ctx;
  run(parent == 0 ? "root_create" : "create", 0);
}

export function proxy_on_vm_start(root: i32, size: i32): i32 {
  return run("vm_start", 1);
}

export function proxy_on_configure(root: i32, size: i32): i32 {
  if (proxy_get_buffer_bytes(7, 0, -1, scratch, scratch + 4) == 0) {
    const lines = returned().split("\n");
    for (let i = 0; i < lines.length; i++) {
      const c = lines[i].indexOf(":");
      if (c > 0) script.set(lines[i].substring(0, c).trim(), lines[i].substring(c + 1));
    }
  }
  return run("configure", 1);
}

export function proxy_on_request_headers(ctx: i32, n: i32, eos: i32): i32 {
  lastStream = ctx;
  log("request_headers n=" + n.toString() + " eos=" + eos.toString());
  return run("request_headers", 0);
}
export function proxy_on_request_body(ctx: i32, size: i32, eos: i32): i32 {
  log("request_body size=" + size.toString() + " eos=" + eos.toString());
  return run("request_body", 0);
}
export function proxy_on_request_trailers(ctx: i32, n: i32): i32 {
  log("request_trailers n=" + n.toString());
  return run("request_trailers", 0);
}
export function proxy_on_response_headers(ctx: i32, n: i32, eos: i32): i32 {
  log("response_headers n=" + n.toString() + " eos=" + eos.toString());
  return run("response_headers", 0);
}
export function proxy_on_response_body(ctx: i32, size: i32, eos: i32): i32 {
  log("response_body size=" + size.toString() + " eos=" + eos.toString());
  return run("response_body", 0);
}
export function proxy_on_response_trailers(ctx: i32, n: i32): i32 {
  log("response_trailers n=" + n.toString());
  return run("response_trailers", 0);
}
export function proxy_on_log(ctx: i32): void {
  log("on_log ctx=" + ctx.toString());
  run("log", 0);
}
export function proxy_on_done(ctx: i32): i32 {
  log("on_done ctx=" + ctx.toString());
  run("done", 0);
  return doneResult;
}
export function proxy_on_delete(ctx: i32): void {
  log("on_delete ctx=" + ctx.toString());
}
export function proxy_on_tick(root: i32): void {
  log("tick root=" + root.toString());
  run("tick", 0);
}
export function proxy_on_queue_ready(root: i32, token: i32): void {
  log("queue_ready root=" + root.toString() + " token=" + token.toString());
  lastToken = token;
  run("queue_ready", 0);
}
export function proxy_on_http_call_response(root: i32, token: i32, nh: i32, bs: i32, nt: i32): void {
  log("http_call_response root=" + root.toString() + " token=" + token.toString() + " headers=" + nh.toString() + " body=" + bs.toString() + " trailers=" + nt.toString());
  run("http_call_response", 0);
}
export function proxy_on_grpc_receive_initial_metadata(root: i32, token: i32, n: i32): void {
  log("grpc_initial_metadata token=" + token.toString() + " n=" + n.toString());
  run("grpc_initial_metadata", 0);
}
export function proxy_on_grpc_receive(root: i32, token: i32, size: i32): void {
  log("grpc_receive root=" + root.toString() + " token=" + token.toString() + " size=" + size.toString());
  run("grpc_receive", 0);
}
export function proxy_on_grpc_receive_trailing_metadata(root: i32, token: i32, n: i32): void {
  log("grpc_trailing_metadata token=" + token.toString() + " n=" + n.toString());
  run("grpc_trailing_metadata", 0);
}
export function proxy_on_grpc_close(root: i32, token: i32, code: i32): void {
  log("grpc_close token=" + token.toString() + " status=" + code.toString());
  run("grpc_close", 0);
}
export function proxy_on_new_connection(ctx: i32): i32 {
  lastStream = ctx;
  log("new_connection");
  return run("new_connection", 0);
}
export function proxy_on_downstream_data(ctx: i32, size: i32, eos: i32): i32 {
  log("downstream_data size=" + size.toString() + " eos=" + eos.toString());
  return run("downstream_data", 0);
}
export function proxy_on_upstream_data(ctx: i32, size: i32, eos: i32): i32 {
  log("upstream_data size=" + size.toString() + " eos=" + eos.toString());
  return run("upstream_data", 0);
}
export function proxy_on_downstream_connection_close(ctx: i32, peer: i32): void {
  log("downstream_close peer=" + peer.toString());
}
export function proxy_on_upstream_connection_close(ctx: i32, peer: i32): void {
  log("upstream_close peer=" + peer.toString());
}
export function envoy_on_resolve_dns(root: i32, token: i32, size: i32): void {
  // Result: u32 N, N x u32 TTL, then N NUL-terminated addresses.
  let out = "dns token=" + token.toString() + " size=" + size.toString();
  if (size > 0 && proxy_get_buffer_bytes(8, 0, size, scratch, scratch + 4) == 0) {
    const p = <usize>load<u32>(scratch);
    const n = load<u32>(p);
    out += " n=" + n.toString() + " ttl=" + load<u32>(p + 4).toString() + " first=" + String.UTF8.decodeUnsafe(p + 4 + n * 4, <usize>size - 4 - n * 4, true);
  }
  log(out);
}

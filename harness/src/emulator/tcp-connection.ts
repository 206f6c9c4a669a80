// One TCP connection through a network filter, as Envoy's network filter drives it: new connection,
// downstream/upstream data with buffering on Stop, close events, continue_stream(DOWNSTREAM).
import { Action, BufferType, PeerType, StreamType } from "../abi/index.ts";
import { EmulatorUsageError, type LogEntry, type WasmTrapError } from "./errors.ts";
import { encodePropertyValue, findProperty, type PropertyValue } from "./properties.ts";
import { EMPTY_MAP, environmentProperty } from "./environment-properties.ts";
import { DEFAULT_CLUSTER } from "./router.ts";
import { StreamCalls } from "./stream-calls.ts";
import { upstreamProperty, type UpstreamAddresses } from "./upstream-properties.ts";
import { concat } from "./bytes.ts";
import type { DeferredActions } from "./deferred-actions.ts";
import type { WasmVm } from "./vm.ts";
import type { BufferRef, ContextState, HostStream, MapAccess } from "./vm-types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);
/** TCP contexts have no header maps. */
const NO_MAP: MapAccess = { map: null, readable: false, writable: false };

/** What the connection needs from the emulator. */
export interface TcpConnectionDeps {
  readonly vm: WasmVm;
  readonly root: ContextState;
  readonly properties: Readonly<Record<string, PropertyValue>>;
  readonly connectionId: number;
  /** False when the VM failed: fail-open passes data through, fail-closed closes the connection. */
  readonly mode: "filter" | "bypass" | "failed";
  readonly onTrap: (error: WasmTrapError) => "bypass" | "fail-closed";
  /** The upstream host tcp_proxy connects to (upstream.* properties). */
  readonly upstreamEndpoint: UpstreamAddresses;
}

/** Bytes that went past the filter in one direction. */
export class TcpFlow {
  #chunks: Uint8Array[] = [];
  /** True once end of stream went past the filter. */
  ended = false;
  /** Bytes forwarded so far. */
  get bytes(): Uint8Array {
    return concat(...this.#chunks, EMPTY);
  }
  /** Bytes forwarded so far, as UTF-8. */
  get text(): string {
    return decoder.decode(this.bytes);
  }
  /** @internal */
  push(b: Uint8Array): void {
    if (b.length) this.#chunks.push(b);
  }
}

/** A TCP connection. Create with `emulator.tcpConnection()`; `open()` runs proxy_on_new_connection. */
export class TcpConnection {
  /** Always "tcp": tells a TCP connection from an HTTP stream (`HttpStream.kind` is "http"). */
  readonly kind = "tcp" as const;
  /** Data forwarded to the upstream (from downstream, after the filter). */
  readonly toUpstream = new TcpFlow();
  /** Data forwarded to the downstream client (from upstream, after the filter). */
  readonly toDownstream = new TcpFlow();
  /** Set when the connection was closed: by the filter (proxy_close_stream), the failure policy, or close(). */
  closedBy: "filter" | "failure-policy" | "local" | "remote" | null = null;
  /** The trap that failed the VM during this connection, if any. */
  error: WasmTrapError | null = null;

  readonly #deps: TcpConnectionDeps;
  #mode: "filter" | "bypass" | "failed";
  #ctx: ContextState | null = null;
  #downBuffer: Uint8Array = EMPTY;
  #upBuffer: Uint8Array = EMPTY;
  #inDown = false;
  #inUp = false;
  #downStopped = false;
  #downEos = false;
  readonly #calls: StreamCalls;
  readonly #actions: DeferredActions;
  /** The connection as host calls see it (the HostStream of its context). */
  readonly #hostView: HostStream;
  #finished = false;
  /** tcp_proxy connected upstream: after on_new_connection let the connection through, or once upstream data came. */
  #upstreamConnected = false;

  constructor(deps: TcpConnectionDeps) {
    this.#deps = deps;
    this.#mode = deps.mode;
    this.#calls = new StreamCalls(deps.vm, (e) => this.#handleTrap(e), {
      sendDeferredReply: () => false, // proxy_send_local_response is a no-op on TCP (hostcalls/stream.ts never asks)
      continueStream: (type) => {
        if (type === StreamType.Downstream && this.#downStopped) this.#flushDown();
      },
      closeStream: (type) => {
        if ((type === StreamType.Downstream || type === StreamType.Upstream) && !this.#finished) {
          this.closedBy = "filter";
          this.#finish(PeerType.Local);
        }
      },
    });
    this.#actions = this.#calls.actions;
    this.#hostView = {
      kind: "tcp",
      actions: this.#actions,
      headerMap: () => NO_MAP,
      buffer: (type) => this.#buffer(type),
      property: (key) => this.#property(key),
      setProperty: () => {}, // filter state is not modelled for TCP
    };
  }

  /** Context id of this connection in the VM. */
  get contextId(): number {
    return this.#ctx?.id ?? 0;
  }

  /** Log lines the module wrote for this connection. */
  get logs(): readonly LogEntry[] {
    return this.#ctx?.logs ?? [];
  }

  /** Accepts the connection: on_context_create then on_new_connection. Returns "continue" or "pause". */
  open(): "continue" | "pause" {
    if (this.#ctx || this.#mode !== "filter") {
      if (this.#mode === "failed") this.closedBy = "failure-policy";
      return "continue";
    }
    const { vm, root } = this.#deps;
    this.#ctx = vm.newContext(root.plugin, root);
    this.#ctx.stream = this.#hostView;
    this.#invoke("proxy_on_context_create", this.#ctx.id, root.id);
    const code = this.#invoke("proxy_on_new_connection", this.#ctx.id);
    if (!code) this.#upstreamConnected = true;
    this.#actions.run();
    return code ? "pause" : "continue";
  }

  /** Bytes from the client (on_downstream_data with everything buffered so far). */
  downstreamData(data: string | Uint8Array, options: { endOfStream?: boolean } = {}): "continue" | "pause" {
    this.#check("downstreamData");
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    this.#downEos ||= options.endOfStream ?? false;
    if (this.#mode !== "filter") {
      if (this.#mode === "bypass") this.toUpstream.push(bytes);
      return this.#mode === "bypass" ? "continue" : "pause";
    }
    this.#downBuffer = concat(this.#downBuffer, bytes);
    this.#inDown = true;
    const code = this.#invoke(
      "proxy_on_downstream_data",
      this.#ctx!.id,
      this.#downBuffer.length,
      this.#downEos ? 1 : 0,
    );
    this.#inDown = false;
    if (this.#passes(code)) this.#flushDown();
    else this.#downStopped = true;
    this.#actions.run();
    return this.#downStopped ? "pause" : "continue";
  }

  /** Bytes from the upstream (on_upstream_data); at end of stream also on_upstream_connection_close(Unknown). */
  upstreamData(data: string | Uint8Array, options: { endOfStream?: boolean } = {}): "continue" | "pause" {
    this.#check("upstreamData");
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    const eos = options.endOfStream ?? false;
    this.#upstreamConnected = true;
    if (this.#mode !== "filter") {
      if (this.#mode === "bypass") this.toDownstream.push(bytes);
      return this.#mode === "bypass" ? "continue" : "pause";
    }
    this.#upBuffer = concat(this.#upBuffer, bytes);
    this.#inUp = true;
    const code = this.#invoke("proxy_on_upstream_data", this.#ctx!.id, this.#upBuffer.length, eos ? 1 : 0);
    this.#inUp = false;
    // proxy_close_stream(UPSTREAM or DOWNSTREAM) in this callback closes the client connection before the chunk is
    // written to it: the client never gets it (trace tcp-close-upstream).
    const closing = this.#actions.pending("close", [StreamType.Downstream, StreamType.Upstream]);
    const passed = this.#passes(code) && !closing;
    if (passed) {
      this.toDownstream.push(this.#upBuffer);
      this.#upBuffer = EMPTY;
      if (eos) this.toDownstream.ended = true;
    }
    if (eos && this.#mode === "filter")
      this.#invoke("proxy_on_upstream_connection_close", this.#ctx!.id, PeerType.Unknown);
    this.#actions.run();
    return passed ? "continue" : "pause";
  }

  /** The connection closes ("remote" = client closed, "local" = Envoy closed): close callback, then on_done, on_log, on_delete. */
  close(by: "local" | "remote" = "remote"): void {
    if (this.#finished) return;
    this.closedBy ??= by;
    this.#finish(by === "local" ? PeerType.Local : PeerType.Remote);
  }

  #finish(peer: PeerType): void {
    if (this.#finished) return;
    this.#finished = true;
    const ctx = this.#ctx;
    if (!ctx || this.#mode !== "filter") return;
    this.#invoke("proxy_on_downstream_connection_close", ctx.id, peer);
    this.#invoke("proxy_on_done", ctx.id);
    this.#invoke("proxy_on_log", ctx.id);
    this.#invoke("proxy_on_delete", ctx.id);
    this.#deps.vm.dropContext(ctx);
  }

  /** Data passes when the filter returned Continue, or when a trap switched the connection to fail-open. */
  #passes(code: number | null): boolean {
    const mode: string = this.#mode;
    return mode === "bypass" || (mode === "filter" && code === Action.Continue);
  }

  #check(what: string): void {
    if (!this.#ctx && this.#mode === "filter")
      throw new EmulatorUsageError(`${what}() before open(): call connection.open() first.`);
    if (this.#finished) throw new EmulatorUsageError(`${what}() after the connection closed.`);
  }

  #flushDown(): void {
    this.toUpstream.push(this.#downBuffer);
    this.#downBuffer = EMPTY;
    this.#downStopped = false;
    if (this.#downEos) this.toUpstream.ended = true;
  }

  #invoke(name: string, ...args: number[]): number | null {
    return this.#mode === "filter" ? this.#calls.invoke(this.#ctx!, name, ...args) : null;
  }

  #handleTrap(error: WasmTrapError): void {
    this.error = error;
    if (this.#deps.onTrap(error) === "bypass") this.#mode = "bypass";
    else {
      this.#mode = "failed";
      this.closedBy = "failure-policy";
      this.#finished = true;
    }
  }

  /** DOWNSTREAM_DATA / UPSTREAM_DATA for host calls, inside their callbacks. */
  #buffer(type: number): BufferRef | null {
    if (type === BufferType.DownstreamData && this.#inDown)
      return { bytes: this.#downBuffer, mutable: true, replace: (b) => (this.#downBuffer = b) };
    if (type === BufferType.UpstreamData && this.#inUp)
      return { bytes: this.#upBuffer, mutable: true, replace: (b) => (this.#upBuffer = b) };
    if (type === BufferType.DownstreamData || type === BufferType.UpstreamData)
      return { bytes: EMPTY, mutable: false, replace() {} };
    return null;
  }

  /** Connection properties for host calls: seeded values, connection id, upstream.* once connected, byte counts. */
  #property(key: string): Uint8Array | number | undefined {
    const seeded = findProperty(this.#deps.properties, key);
    if (seeded !== undefined) return encodePropertyValue(seeded);
    if (key === "connection\0id" || key === "connection_id")
      return encodePropertyValue({ uint: this.#deps.connectionId });
    // upstream.* exist once tcp_proxy connected: not in on_new_connection, from the first data on (trace tcp-upstream-properties).
    const [head, field = "", ...rest] = key.split("\0");
    const connected = this.#upstreamConnected;
    if (head === "upstream" && field === "transport_failure_reason") return encodePropertyValue("");
    if (head === "upstream" && connected) {
      const found = upstreamProperty(this.#deps.upstreamEndpoint, field);
      if (found !== undefined) return found;
    }
    // A network filter's request/response attributes (attribute table, tcp:*): the byte counts, empty maps.
    const received = this.toUpstream.bytes.length + this.#downBuffer.length;
    const sent = this.toDownstream.bytes.length + this.#upBuffer.length;
    if (head === "request" && (field === "size" || field === "total_size")) return encodePropertyValue(received);
    if (head === "response" && (field === "size" || field === "total_size")) return encodePropertyValue(sent);
    if ((head === "request" || head === "response") && field === "headers" && rest.length === 0) return EMPTY_MAP;
    if (head === "response" && field === "trailers" && rest.length === 0) return EMPTY_MAP;
    const now = this.#deps.vm.host.nowMs;
    return environmentProperty(key, {
      kind: "tcp",
      cluster: connected ? DEFAULT_CLUSTER : null,
      upstreamPicked: connected,
      upstreamConnected: connected,
      startedAtMs: now,
      nowMs: now,
    });
  }
}

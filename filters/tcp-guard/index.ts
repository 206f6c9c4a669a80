// tcp-guard: a network (TCP) filter that holds each new connection's first bytes until it can tell whether
// they start with a denied prefix (e.g. an HTTP request to an admin path, a banned protocol greeting). Matching
// connections are closed before anything reaches the upstream; the others flow on untouched. Every connection's
// bytes in each direction are counted. See README.md.
import { RootContext, TcpContext, Configuration, ConfigSchema, Action, Counter, PeerType, registerRoot, logDebug, logInfo } from "@proxy-wasm-as/sdk";

const accepted = new Counter("tcp_guard.accepted");
const denied = new Counter("tcp_guard.denied");
const bytesFromClients = new Counter("tcp_guard.downstream_bytes");
const bytesToClients = new Counter("tcp_guard.upstream_bytes");

/** The configuration (README.md). */
const schema = new ConfigSchema();
const DENY_PREFIXES = schema.stringList("denyPrefixes").required().nonEmpty();
/** Longest denied prefix, in UTF-8 bytes: the filter holds at most this much of a connection's first bytes. */
const MAX_PREFIX_BYTES = 1024;

/** Plugin configuration: the denied prefixes as bytes. */
class TcpGuardRoot extends RootContext {
  denyPrefixes: ArrayBuffer[] = [];
  longestPrefix: i32 = 0;

  onConfigure(configuration: Configuration): bool {
    const config = schema.read(configuration);
    if (config == null) return false;
    const prefixes = config.stringList(DENY_PREFIXES);
    const encoded = new Array<ArrayBuffer>();
    let longest = 0;
    for (let i = 0; i < prefixes.length; i++) {
      const bytes = String.UTF8.encode(unchecked(prefixes[i]));
      if (bytes.byteLength == 0) return config.refuse(DENY_PREFIXES, "must not be empty", i);
      if (bytes.byteLength > MAX_PREFIX_BYTES) return config.refuse(DENY_PREFIXES, "must be at most " + MAX_PREFIX_BYTES.toString() + " bytes", i);
      encoded.push(bytes);
      longest = max(longest, bytes.byteLength);
    }
    this.denyPrefixes = encoded;
    this.longestPrefix = longest;
    logInfo("tcp-guard: " + encoded.length.toString() + " denied prefix(es)");
    return true;
  }

  newTcpContext(contextId: u32): TcpContext | null { return new GuardedConnection(this); }
}

/** What the first bytes of a connection say so far. */
enum Match { Denied, Allowed, Undecided }

/** Compares the connection's first bytes `head` with every denied prefix. */
function matchHead(head: ArrayBuffer, prefixes: ArrayBuffer[]): Match {
  let undecided = false;
  const headPointer = changetype<usize>(head);
  for (let p = 0; p < prefixes.length; p++) {
    const prefix = unchecked(prefixes[p]);
    const compared = min(head.byteLength, prefix.byteLength);
    if (memory.compare(headPointer, changetype<usize>(prefix), compared) != 0) continue;
    if (compared == prefix.byteLength) return Match.Denied;
    undecided = true; // the bytes so far agree with this prefix, which is longer
  }
  return undecided ? Match.Undecided : Match.Allowed;
}

/** One TCP connection. */
class GuardedConnection extends TcpContext {
  /** Undecided until the first bytes tell; then Allowed or Denied for the rest of the connection. */
  private verdict: Match = Match.Undecided;
  private bytesIn: u64 = 0;
  private bytesOut: u64 = 0;

  constructor(private readonly root: TcpGuardRoot) { super(); }

  onDownstreamData(dataSize: u32, endOfStream: bool): Action {
    if (this.verdict == Match.Denied) return Action.Pause; // closing: nothing more goes upstream
    if (this.verdict == Match.Undecided) {
      const head = this.downstreamData.getRangeBytes(0, <u32>this.root.longestPrefix);
      const match = matchHead(head, this.root.denyPrefixes);
      if (match == Match.Denied) {
        this.verdict = Match.Denied;
        denied.increment();
        logDebug("tcp-guard: connection " + this.contextId.toString() + " denied by its first bytes");
        this.closeDownstream();
        return Action.Pause;
      }
      // Hold the bytes (Envoy keeps buffering them) until they can be told apart from every prefix.
      if (match == Match.Undecided && !endOfStream) return Action.Pause;
      this.verdict = Match.Allowed;
      accepted.increment();
    }
    // dataSize includes bytes held back earlier, so each byte is counted once, when it is let through.
    this.bytesIn += dataSize;
    bytesFromClients.increment(dataSize);
    return Action.Continue;
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): Action {
    this.bytesOut += dataSize;
    bytesToClients.increment(dataSize);
    return Action.Continue;
  }

  onDownstreamConnectionClose(peer: PeerType): void {
    logDebug("tcp-guard: connection " + this.contextId.toString() + " closed: " + this.bytesIn.toString() + " bytes in, " + this.bytesOut.toString() + " bytes out");
  }
}

registerRoot<TcpGuardRoot>();

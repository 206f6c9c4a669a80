// Callouts: proxy_http_call, proxy_grpc_call/stream/send/cancel/close and Envoy's envoy_resolve_dns. The host
// calls decode guest memory; the callout engine (../callouts.ts) routes to the test's handlers and delivers the
// answers to the root context later.
import { Status } from "../../abi/index.ts";
import type { EnvHostcalls, HostcallVm } from "./types.ts";
import { readPairs } from "./maps.ts";

/** Callout host calls. */
export function calloutHostcalls(vm: HostcallVm) {
  const writeToken = (tokenPtr: number) => (token: number) => vm.memory.writeU32(tokenPtr, token);
  /** The service, method and initial metadata that proxy_grpc_call and proxy_grpc_stream both start with. */
  const grpcTarget = (
    sp: number,
    ss: number,
    np: number,
    ns: number,
    mp: number,
    ms: number,
    mdp: number,
    mds: number,
  ) => ({
    service: vm.memory.read(sp, ss),
    serviceName: vm.memory.readString(np, ns),
    method: vm.memory.readString(mp, ms),
    metadata: readPairs(vm, mdp, mds),
  });
  return {
    proxy_http_call: (
      up: number,
      us: number,
      hp: number,
      hs: number,
      bp: number,
      bs: number,
      tp: number,
      ts: number,
      timeout: number,
      tokenPtr: number,
    ) => {
      const root = vm.root();
      if (!root) return Status.InternalFailure;
      const cluster = vm.memory.readString(up, us);
      const headers = readPairs(vm, hp, hs);
      const body = vm.memory.read(bp, bs);
      const trailers = readPairs(vm, tp, ts);
      return vm.callouts.httpCall(root, cluster, headers, body, trailers, timeout >>> 0, writeToken(tokenPtr));
    },
    proxy_grpc_call: (
      sp: number,
      ss: number,
      np: number,
      ns: number,
      mp: number,
      ms: number,
      mdp: number,
      mds: number,
      msgp: number,
      msgs: number,
      timeout: number,
      tokenPtr: number,
    ) => {
      const root = vm.root();
      if (!root) return Status.InternalFailure;
      return vm.callouts.grpcCall(
        root,
        {
          ...grpcTarget(sp, ss, np, ns, mp, ms, mdp, mds),
          message: vm.memory.read(msgp, msgs),
          timeoutMs: timeout >>> 0,
        },
        writeToken(tokenPtr),
      );
    },
    proxy_grpc_stream: (
      sp: number,
      ss: number,
      np: number,
      ns: number,
      mp: number,
      ms: number,
      mdp: number,
      mds: number,
      tokenPtr: number,
    ) => {
      const root = vm.root();
      if (!root) return Status.InternalFailure;
      return vm.callouts.grpcStream(root, grpcTarget(sp, ss, np, ns, mp, ms, mdp, mds), writeToken(tokenPtr));
    },
    proxy_grpc_send: (token: number, mp: number, ms: number, end: number) =>
      vm.callouts.grpcSend(token >>> 0, vm.memory.read(mp, ms), end !== 0),
    proxy_grpc_cancel: (token: number) => vm.callouts.grpcCancel(token >>> 0),
    proxy_grpc_close: (token: number) => vm.callouts.grpcClose(token >>> 0),
    envoy_resolve_dns: (ap: number, as: number, tokenPtr: number) => {
      const root = vm.root();
      if (!root) return Status.InternalFailure;
      return vm.callouts.resolveDns(root, vm.memory.readString(ap, as), writeToken(tokenPtr));
    },
  } satisfies EnvHostcalls;
}

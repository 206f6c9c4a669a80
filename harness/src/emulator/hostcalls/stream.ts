// Stream control: proxy_continue_stream, proxy_close_stream, proxy_send_local_response, and the ABI 0.1.0
// forms proxy_continue_request, proxy_continue_response, proxy_clear_route_cache. Requests are deferred: the
// stream's deferred actions (../deferred-actions.ts) carry them out after the running call returns, as Envoy does.
import { GrpcStatus, Status, StreamType } from "../../abi/index.ts";
import type { EnvHostcalls, HostcallVm } from "./types.ts";
import { readPairs } from "./maps.ts";

/** Envoy writes local-reply details with whitespace replaced. */
const WHITESPACE = /\s/g;

/** Stream-control host calls. */
export function streamHostcalls(vm: HostcallVm) {
  const continueStream = (type: number): number => {
    if (type >>> 0 > StreamType.Upstream) return Status.BadArgument;
    if (type === StreamType.Upstream) return Status.Unimplemented;
    const stream = vm.current()?.stream;
    if (!stream) return Status.BadArgument;
    stream.actions.requestContinue(type);
    return Status.Ok;
  };
  return {
    proxy_continue_stream: continueStream,
    proxy_close_stream: (type: number) => {
      if (type >>> 0 > StreamType.Upstream) return Status.BadArgument;
      const stream = vm.current()?.stream;
      if (!stream) return Status.BadArgument;
      stream.actions.requestClose(type);
      return Status.Ok;
    },
    proxy_send_local_response: (
      status: number,
      dp: number,
      ds: number,
      bp: number,
      bs: number,
      hp: number,
      hs: number,
      grpc: number,
    ) => {
      const details = vm.memory.readString(dp, ds).replace(WHITESPACE, "_");
      const body = vm.memory.read(bp, bs);
      const headers = readPairs(vm, hp, hs);
      const stream = vm.current()?.stream;
      if (stream?.kind !== "http") return Status.Ok;
      const g = grpc >>> 0;
      stream.actions.requestLocalReply({
        status: status >>> 0,
        details,
        body,
        headers,
        grpcStatus: g <= GrpcStatus.Unauthenticated ? g : null,
      });
      return Status.Ok;
    },
    proxy_continue_request: () => continueStream(StreamType.HttpRequest),
    proxy_continue_response: () => continueStream(StreamType.HttpResponse),
    proxy_clear_route_cache: () => Status.Ok,
  } satisfies EnvHostcalls;
}

// The one owner of deferred actions: requests wait while the stream's callback runs, a local reply goes first and
// cancels the rest, the first reply of a callback wins and overrides the return code, and the VM's DeferredWork
// carries out every touched stream and then deletes the roots that called proxy_done.
import { describe, expect, it } from "vitest";
import { Action, StreamType } from "../abi/index.ts";
import { DeferredActions, DeferredWork, localReplyReturnCode } from "./deferred-actions.ts";
import type { ContextState, LocalReply } from "./vm-types.ts";

const reply = (status: number): LocalReply => ({
  status,
  details: `d${status}`,
  body: new Uint8Array(0),
  headers: [],
  grpcStatus: null,
});

/** A stream's actions that record what they carried out; `answers` says whether the stream can still reply. */
function recordingActions(work: DeferredWork, answers = true) {
  const done: string[] = [];
  const actions = new DeferredActions(work, {
    sendDeferredReply: (r) => {
      done.push(`reply ${r.status}`);
      return answers;
    },
    continueStream: (type) => done.push(`continue ${type}`),
    closeStream: (type) => done.push(`close ${type}`),
  });
  return { actions, done };
}

describe("DeferredActions", () => {
  it("holds requests while a callback runs, then carries them out in order", () => {
    const work = new DeferredWork(() => {});
    const { actions, done } = recordingActions(work);
    actions.callbackRunning = true;
    actions.requestContinue(StreamType.HttpRequest);
    actions.requestClose(StreamType.HttpResponse);
    actions.run();
    expect(done).toEqual([]);
    actions.callbackRunning = false;
    actions.run();
    expect(done).toEqual([`continue ${StreamType.HttpRequest}`, `close ${StreamType.HttpResponse}`]);
    actions.run();
    expect(done).toHaveLength(2); // carried out once
  });

  it("sends the first local reply of a callback before anything else, and it cancels the queued actions", () => {
    const work = new DeferredWork(() => {});
    const { actions, done } = recordingActions(work);
    actions.requestContinue(StreamType.HttpRequest);
    actions.requestLocalReply(reply(403));
    actions.requestLocalReply(reply(500));
    actions.run();
    expect(done).toEqual(["reply 403"]);
  });

  it("keeps the queued actions when the stream could no longer answer", () => {
    const work = new DeferredWork(() => {});
    const { actions, done } = recordingActions(work, false);
    actions.requestLocalReply(reply(403));
    actions.requestContinue(StreamType.HttpResponse);
    actions.run();
    expect(done).toEqual(["reply 403", `continue ${StreamType.HttpResponse}`]);
  });

  it("hands a callback's reply over with the return code Envoy reports instead of the module's", () => {
    const { actions } = recordingActions(new DeferredWork(() => {}));
    expect(actions.takeReplyOverride("headers")).toBeNull();
    actions.requestLocalReply(reply(401));
    expect(actions.replyPending).toBe(true);
    expect(actions.takeReplyOverride("body")).toEqual({ reply: reply(401), returnCode: Action.StopAllAndBuffer });
    expect(actions.replyPending).toBe(false);
    expect([localReplyReturnCode("headers"), localReplyReturnCode("trailers")]).toEqual([4, Action.Pause]);
  });

  it("forgets everything on clear (the stream failed)", () => {
    const work = new DeferredWork(() => {});
    const { actions, done } = recordingActions(work);
    actions.requestLocalReply(reply(403));
    actions.requestClose(StreamType.HttpRequest);
    expect(actions.pending("close", [StreamType.HttpRequest])).toBe(true);
    actions.clear();
    expect(actions.pending("close", [StreamType.HttpRequest])).toBe(false);
    work.run();
    expect(done).toEqual([]);
  });
});

describe("DeferredWork", () => {
  it("carries out every stream a host call touched, then deletes the roots that called proxy_done", () => {
    const deleted: number[] = [];
    const work = new DeferredWork((root) => deleted.push(root.id));
    const a = recordingActions(work);
    const b = recordingActions(work);
    a.actions.requestContinue(StreamType.HttpRequest);
    b.actions.requestClose(StreamType.Downstream);
    const root = { id: 1, awaitingDone: false } as ContextState;
    work.awaitDone(root);
    expect(root.awaitingDone).toBe(true);
    work.run();
    expect([a.done, b.done, deleted]).toEqual([
      [`continue ${StreamType.HttpRequest}`],
      [`close ${StreamType.Downstream}`],
      [],
    ]);
    root.awaitingDone = false; // proxy_done
    work.run();
    work.run();
    expect(deleted).toEqual([1]);
  });
});

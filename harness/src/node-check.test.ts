// The Node.js version rule every entry point applies on import (harness/src/node-check.ts).
import { expect, test } from "vitest";
import { MINIMUM_NODE_VERSION, unsupportedNodeMessage } from "./node-check.ts";

test("Node older than 22.22 gets one line naming the version needed and how to get it; 22.22+ passes", () => {
  const message = unsupportedNodeMessage("20.20.2");
  expect(message).toContain(`Node.js >= ${MINIMUM_NODE_VERSION}, this is Node.js 20.20.2`);
  expect(message).toContain("npx -p node@22");
  expect(message).not.toContain("\n");
  expect(unsupportedNodeMessage("22.21.9")).toBeDefined();
  expect(unsupportedNodeMessage("18.0.0")).toBeDefined();
  expect(unsupportedNodeMessage("22.22.0")).toBeUndefined();
  expect(unsupportedNodeMessage("22.23.3")).toBeUndefined();
  expect(unsupportedNodeMessage("24.1.0")).toBeUndefined();
  expect(unsupportedNodeMessage(process.versions.node)).toBeUndefined();
});

// A free loopback port, for a listener whose port must be known before Envoy starts (a cluster pointing at it).
import { createServer } from "node:net";

/**
 * A loopback port that was free a moment ago: the kernel picks it, and it is released at once for the caller to
 * bind (another process could take it in between; callers retry a failed start).
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

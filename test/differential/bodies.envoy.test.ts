// Differential: bodies, buffering and trailers (see bodies.scenarios.ts) on the emulator and on real Envoy.
import { differentialSuite } from "./support.ts";
import { bodies } from "./bodies.scenarios.ts";

differentialSuite("bodies", bodies);

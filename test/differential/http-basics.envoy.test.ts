// Differential: header callbacks and end_of_stream sequences (see http-basics.scenarios.ts) on the emulator and
// on real Envoy, for every version of the matrix.
import { differentialSuite } from "./support.ts";
import { httpBasics } from "./http-basics.scenarios.ts";

differentialSuite("http-basics", httpBasics);

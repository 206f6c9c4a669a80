// Differential: network filters (see tcp.scenarios.ts).
import { differentialSuite } from "./support.ts";
import { tcp } from "./tcp.scenarios.ts";

differentialSuite("tcp", tcp);

// Differential: properties, shared data, queues, metrics, logging and failure policies (hostcalls.scenarios.ts).
import { differentialSuite } from "./support.ts";
import { hostcalls } from "./hostcalls.scenarios.ts";

differentialSuite("hostcalls", hostcalls);

// Differential: connection manager and router around the filter (see cm-router.scenarios.ts).
import { cmRouter } from "./cm-router.scenarios.ts";
import { differentialSuite } from "./support.ts";

differentialSuite("cm-router", cmRouter);

// Differential: pause/continue, local replies, closes and callouts (see control.scenarios.ts).
import { differentialSuite } from "./support.ts";
import { control } from "./control.scenarios.ts";

differentialSuite("control", control);

// The error the differential suite throws for a scenario or a suite it cannot run as written.
import { HarnessError, type HarnessErrorOptions } from "../errors.ts";

/**
 * A scenario or a suite that cannot run as written (two scenarios with one id, a route to an undeclared upstream, a
 * trace recorded from another definition, an Envoy that crashed earlier in the suite): `message` names the scenario
 * and `hint` what to change. Thrown by `runDifferential`, `replayTrace` and the backends before any traffic is sent.
 */
export class ScenarioError extends HarnessError {
  constructor(message: string, options: HarnessErrorOptions = {}) {
    super(message, options);
  }
}

// Setup file of the preset (vitest `setupFiles`): registers the filter matchers in every test file.
import { expect } from "vitest";
import { filterMatchers } from "./matchers.ts";

expect.extend(filterMatchers);

import type { Scenario } from "../src/verify/index.js";

/** bench-traffic (bench/traffic-scenario.mjs). */
export declare const traffic: Scenario;

/**
 * Composition root of the Pepr module: it only wires capabilities together. Each capability's
 * index.ts holds its table of bindings; the logic lives in the pure cores beside them.
 */
import { PeprModule } from "pepr";
import cfg from "./package.json";

new PeprModule(cfg, []);

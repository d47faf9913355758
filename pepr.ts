/**
 * Composition root of the Pepr module: it only wires capabilities together. Each capability's
 * index.ts holds its table of bindings; the logic lives in the pure cores beside them.
 */
import { PeprModule } from "pepr";
import cfg from "./package.json";
import { Webhooks } from "./capabilities/webhooks";

export const capabilities = [Webhooks];

const module = new PeprModule(cfg, capabilities, { deferStart: true });
// `pepr build` loads this file only to read the bindings (PEPR_MODE=build): nothing may start then.
if (process.env.PEPR_MODE !== "build") module.start(Number(process.env.LODESTONE_WEBHOOK_PORT ?? 3000));

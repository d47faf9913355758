/** BFDProfile: timers within the CRD's ranges, with the defaults MetalLB documents. */
import { reportUnknownFields, type ConfigObject } from "./objects";
import type { Reporter } from "./problems";
import { at, readBool, readInt } from "./read";
import type { BFDProfile } from "./types";

const SPEC_FIELDS = ["receiveInterval", "transmitInterval", "detectMultiplier", "echoInterval", "echoMode", "passiveMode", "minimumTtl"];

export function readBFDProfile(obj: ConfigObject): BFDProfile | undefined {
  let valid = true;
  const report: Reporter = (field, issue) => {
    valid = false;
    obj.report(field, issue);
  };
  const { spec } = obj;
  reportUnknownFields(obj, spec, "spec", SPEC_FIELDS);
  const interval = (key: string, fallback: number): number => readInt(at(spec, key, "spec"), report, { min: 10, max: 60000 }) ?? fallback;
  const receiveIntervalMs = interval("receiveInterval", 300);
  const transmitIntervalMs = interval("transmitInterval", 300);
  const echoIntervalMs = interval("echoInterval", 50);
  const detectMultiplier = readInt(at(spec, "detectMultiplier", "spec"), report, { min: 2, max: 255 }) ?? 3;
  const minimumTtl = readInt(at(spec, "minimumTtl", "spec"), report, { min: 1, max: 254 });
  const echoMode = readBool(at(spec, "echoMode", "spec"), report) ?? false;
  const passiveMode = readBool(at(spec, "passiveMode", "spec"), report) ?? false;
  if (!valid || obj.name === "") return undefined;
  return {
    name: obj.name,
    receiveIntervalMs,
    transmitIntervalMs,
    detectMultiplier,
    echoIntervalMs,
    echoMode,
    passiveMode,
    ...(minimumTtl !== undefined ? { minimumTtl } : {}),
  };
}

/** Legacy `bfd-profiles` (v0.12) to BFDProfile resources: same names, same fields, same ranges. */
import { q } from "../problems";
import { join, type Reader } from "./fields";
import { objectNameProblem } from "./names";
import { resource, setIfPresent, type ConvertedObject } from "./resources";
import type { LegacyNode } from "./tree";

const FIELDS = ["name", "receive-interval", "transmit-interval", "detect-multiplier", "echo-interval", "echo-mode", "passive-mode", "minimum-ttl"] as const;

/** Legacy key, CRD field, and the range MetalLB allowed. */
const NUMBERS: [key: (typeof FIELDS)[number], field: string, min: number, max: number][] = [
  ["receive-interval", "receiveInterval", 10, 60000],
  ["transmit-interval", "transmitInterval", 10, 60000],
  ["detect-multiplier", "detectMultiplier", 2, 255],
  ["echo-interval", "echoInterval", 10, 60000],
  ["minimum-ttl", "minimumTtl", 1, 254],
];

/** The profiles, and the names peers may refer to. */
export function convertBfdProfiles(r: Reader, node: LegacyNode | undefined, namespace: string): { objects: ConvertedObject[]; names: Set<string> } {
  const objects: ConvertedObject[] = [];
  const names = new Set<string>();
  const firstIndex = new Map<string, number>();
  (r.list(node, "bfd-profiles") ?? []).forEach((item, i) => {
    const path = `bfd-profiles[${i}]`;
    const f = r.record(item, path, FIELDS);
    if (!f) return;
    const name = r.string(f.get("name"), join(path, "name")) ?? "";
    const spec: Record<string, unknown> = {};
    for (const [key, field, min, max] of NUMBERS) setIfPresent(spec, field, r.integer(f.get(key), join(path, key), min, max));
    setIfPresent(spec, "echoMode", r.bool(f.get("echo-mode"), join(path, "echo-mode")));
    setIfPresent(spec, "passiveMode", r.bool(f.get("passive-mode"), join(path, "passive-mode")));
    if (name === "") return r.report(join(path, "name"), "missing bfd profile name");
    names.add(name);
    const seen = firstIndex.get(name);
    if (seen !== undefined) return r.report(join(path, "name"), `duplicate bfd profile name ${q(name)} (first defined at bfd-profiles[${seen}])`);
    firstIndex.set(name, i);
    const nameProblem = objectNameProblem(name);
    if (nameProblem) return r.report(join(path, "name"), nameProblem);
    objects.push(resource("BFDProfile", name, namespace, spec));
  });
  return { objects, names };
}

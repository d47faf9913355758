/** L2Advertisement: which pools are announced by ARP/NDP, from which nodes and interfaces. */
import { parseGoDuration } from "./duration";
import { reportUnknownFields, type ConfigObject } from "./objects";
import { advertisement as issues, schema, type Reporter } from "./problems";
import { at, has, own, readInt, readRecordList, readStringItems, reportDuplicates } from "./read";
import { parseLabelSelector, parseSelectorList } from "./selector";
import { selectPools } from "./pools";
import type { L2Advertisement, LabelSelector, Pool } from "./types";

/**
 * Periodic gratuitous ARP / unsolicited NA while a node owns an IP of this advertisement's pools
 * (protocols/l2/announcer.ts). An annotation, not a spec field: MetalLB's CRD schema stays as it
 * is, so the same YAML still applies to MetalLB (which ignores it). Per advertisement rather than
 * per speaker because the need comes from the switches of one segment, and advertisements are how
 * a segment is chosen (nodeSelectors, interfaces).
 */
export const GRATUITOUS_INTERVAL_ANNOTATION = "lodestone.dev/gratuitous-interval";
/** Bounds: below 1 s it is a flood, not a refresh; switches age MAC entries out after minutes (300 s is common). */
export const GRATUITOUS_INTERVAL_BOUNDS = { minMs: 1000, maxMs: 3_600_000, min: "1s", max: "1h" } as const;

const SPEC_FIELDS = ["ipAddressPools", "ipAddressPoolSelectors", "nodeSelectors", "interfaces", "serviceSelectors", "preferredNodeSelectors"];

export function readL2Advertisement(obj: ConfigObject, pools: ReadonlyMap<string, Pool>, warnings: string[]): L2Advertisement | undefined {
  let valid = true;
  const report: Reporter = (field, issue) => {
    valid = false;
    obj.report(field, issue);
  };
  const { spec } = obj;
  const prefix = `L2Advertisement/${obj.displayName}`;
  reportUnknownFields(obj, spec, "spec", SPEC_FIELDS);
  const f = (key: string) => at(spec, key, "spec");
  const poolNames = readStringItems(f("ipAddressPools"), report) ?? [];
  reportDuplicates(poolNames, "ipAddressPools", report);
  const poolSelectors = parseSelectorList(f("ipAddressPoolSelectors"), "ipAddressPoolSelectors", report);
  const nodeSelectors = parseSelectorList(f("nodeSelectors"), "nodeSelectors", report);
  const serviceSelectors = parseSelectorList(f("serviceSelectors"), "serviceSelectors", report);
  const interfaces = (readStringItems(f("interfaces"), report) ?? []).map(i => i.value);
  const preferredNodeSelectors: { weight: number; preference: LabelSelector }[] = [];
  for (const { item, path } of readRecordList(f("preferredNodeSelectors"), report)) {
    const weight = readInt(at(item, "weight", path), report, { min: 1, max: 100, required: true });
    const preferenceField = at(item, "preference", path);
    if (!has(preferenceField)) report(preferenceField.path, schema.required());
    const preference = has(preferenceField) ? parseLabelSelector(own(item, "preference"), preferenceField.path, report) : undefined;
    if (weight !== undefined && preference) preferredNodeSelectors.push({ weight, preference });
  }
  const selected = selectPools(
    poolNames.map(p => p.value),
    poolSelectors,
    pools,
  );
  for (const name of selected.unknown) warnings.push(`${prefix}: spec.ipAddressPools: ${issues.unknownPool(name)}`);
  const gratuitousIntervalMs = readGratuitousInterval(obj, report);
  if (!valid || obj.name === "") return undefined;
  return {
    name: obj.name,
    pools: selected.pools,
    nodeSelectors,
    interfaces: [...new Set(interfaces)],
    serviceSelectors,
    preferredNodeSelectors,
    ...(gratuitousIntervalMs === undefined ? {} : { gratuitousIntervalMs }),
  };
}

/** The annotation's period in ms; undefined when absent or 0. A bad value is reported, naming the annotation. */
function readGratuitousInterval(obj: ConfigObject, report: Reporter): number | undefined {
  const text = obj.annotations[GRATUITOUS_INTERVAL_ANNOTATION];
  if (text === undefined) return undefined;
  const seconds = parseGoDuration(text.trim());
  if (seconds === 0) return undefined;
  const ms = seconds === undefined ? NaN : Math.round(seconds * 1000);
  const { minMs, maxMs, min, max } = GRATUITOUS_INTERVAL_BOUNDS;
  if (!(ms >= minMs && ms <= maxMs)) {
    report(`metadata.annotations[${GRATUITOUS_INTERVAL_ANNOTATION}]`, issues.gratuitousInterval(text, min, max));
    return undefined;
  }
  return ms;
}

/** L2Advertisement: which pools are announced by ARP/NDP, from which nodes and interfaces. */
import { reportUnknownFields, type ConfigObject } from "./objects";
import { advertisement as issues, schema, type Reporter } from "./problems";
import { at, has, own, readInt, readRecordList, readStringItems, reportDuplicates } from "./read";
import { parseLabelSelector, parseSelectorList } from "./selector";
import { selectPools } from "./pools";
import type { L2Advertisement, LabelSelector, Pool } from "./types";

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
  if (!valid || obj.name === "") return undefined;
  return { name: obj.name, pools: selected.pools, nodeSelectors, interfaces: [...new Set(interfaces)], serviceSelectors, preferredNodeSelectors };
}

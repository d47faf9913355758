/** Community objects: named aliases for community values, unique across all Community objects. */
import { parseCommunity } from "./community";
import { reportUnknownFields, type ConfigObject } from "./objects";
import { community as issues, schema } from "./problems";
import { at, readRecordList, readString } from "./read";
import type { CommunityValue } from "./types";

/** Adds the aliases of one Community object to `aliases`; reports bad values and repeated names. */
export function readCommunityObject(obj: ConfigObject, aliases: Map<string, CommunityValue>): void {
  reportUnknownFields(obj, obj.spec, "spec", ["communities"]);
  for (const { item, path } of readRecordList(at(obj.spec, "communities", "spec"), obj.report)) {
    const name = readString(at(item, "name", path), obj.report, true);
    const text = readString(at(item, "value", path), obj.report, true);
    if (name === "") obj.report(`${path}.name`, schema.required());
    if (name === undefined || name === "" || text === undefined) continue;
    const parsed = parseCommunity(text);
    if (!parsed.ok) {
      obj.report(`${path}.value`, issues.invalidValue(text, parsed.reason));
      continue;
    }
    if (aliases.has(name)) {
      obj.report(`${path}.name`, issues.duplicateAlias(name));
      continue;
    }
    aliases.set(name, parsed.value);
  }
}

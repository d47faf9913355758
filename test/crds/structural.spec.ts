import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { allCRDs, crdFor } from "../../crds/index";
import { kindSources } from "../../crds/source";
import { walkFields } from "../../crds/source/walk";
import { checkCRD, jsonPathResolves } from "./structural";

type Json = Record<string, unknown>;
const clone = <T>(v: T): T => structuredClone(v);

/** A deep copy of the IPAddressPool CRD as loose JSON, for breaking it in one place. */
function poolCRD(): Json {
  return clone(crdFor("IPAddressPool")) as unknown as Json;
}
function at(obj: Json, path: string): Json {
  let node: unknown = obj;
  for (const seg of path.split(".")) node = Array.isArray(node) ? node[Number(seg)] : (node as Json)[seg];
  return node as Json;
}
const ROOT = "spec.versions.0.schema.openAPIV3Schema";
const P = "spec.versions[0].schema.openAPIV3Schema";
const specNode = (crd: Json) => at(crd, `${ROOT}.properties.spec`);
const autoAssign = (crd: Json) => at(crd, `${ROOT}.properties.spec.properties.autoAssign`);

describe("the generated CRDs", () => {
  it.each(allCRDs.map((c) => [c.metadata.name, c] as const))("%s is accepted by the structural checker", (_name, crd) => {
    expect(checkCRD(crd)).toEqual([]);
  });

  it("are one per kind, namespaced, without short names, in metallb.io", () => {
    expect(allCRDs.map((c) => c.metadata.name)).toEqual([
      "ipaddresspools.metallb.io",
      "l2advertisements.metallb.io",
      "bgpadvertisements.metallb.io",
      "bgppeers.metallb.io",
      "bfdprofiles.metallb.io",
      "communities.metallb.io",
      "servicel2statuses.metallb.io",
      "servicebgpstatuses.metallb.io",
      "configurationstates.metallb.io",
    ]);
    for (const c of allCRDs) {
      expect(c.spec.scope).toBe("Namespaced");
      expect(c.spec.names).not.toHaveProperty("shortNames");
      expect(c.spec.versions.every((v) => v.subresources !== undefined)).toBe(true);
    }
  });

  it("match the committed YAML manifests", () => {
    for (const c of allCRDs) {
      const text = readFileSync(join(__dirname, "..", "..", "crds", `metallb.io_${c.spec.names.plural}.yaml`), "utf8");
      expect(parse(text)).toEqual(c);
      // Plain YAML: no anchors or aliases, which some tools that read manifests do not follow.
      expect(text).not.toMatch(/[&*][a-z]+\d+\b/);
    }
  });

  it("serve BGPPeer v1beta2 as storage and v1beta1 deprecated, without conversion webhook", () => {
    const peer = crdFor("BGPPeer");
    expect(peer.spec.conversion).toEqual({ strategy: "None" });
    expect(peer.spec.versions.map((v) => [v.name, v.served, v.storage, v.deprecated ?? false])).toEqual([
      ["v1beta2", true, true, false],
      ["v1beta1", true, false, true],
    ]);
    expect(peer.spec.versions[1]?.deprecationWarning).toBe("metallb.io/v1beta1 BGPPeer is deprecated; use metallb.io/v1beta2 BGPPeer");
  });

  it("have exactly the printer columns MetalLB has, plus BGPPeer's session columns (a Lodestone extension)", () => {
    const columns = Object.fromEntries(
      allCRDs.map((c) => [c.spec.names.kind, (c.spec.versions[0]?.additionalPrinterColumns ?? []).map((p) => `${String(p.name)}${p.priority ? "@" + String(p.priority) : ""}`)]),
    );
    expect(columns).toEqual({
      IPAddressPool: ["Auto Assign", "Avoid Buggy IPs", "Addresses"],
      L2Advertisement: ["IPAddressPools", "IPAddressPool Selectors", "Interfaces", "Node Selectors@10"],
      BGPAdvertisement: ["IPAddressPools", "IPAddressPool Selectors", "Peers", "Node Selectors@10"],
      BGPPeer: ["Address", "ASN", "BFD Profile", "Multi Hops", "Established", "Sessions@10"],
      BFDProfile: ["Passive Mode", "Transmit Interval", "Receive Interval", "Multiplier"],
      Community: [],
      ServiceL2Status: ["Allocated Node", "Service Name", "Service Namespace"],
      ServiceBGPStatus: ["Node", "Service Name", "Service Namespace"],
      ConfigurationState: ["Result", "ErrorSummary", "Age"],
    });
  });

  it("carry the CEL rules MetalLB's API server enforces", () => {
    const rules = allCRDs.flatMap((c) =>
      c.spec.versions.flatMap((v) => {
        const found: string[] = [];
        const visit = (node: unknown, path: string) => {
          if (node === null || typeof node !== "object") return;
          const n = node as Json;
          for (const r of (n["x-kubernetes-validations"] as { rule: string }[] | undefined) ?? []) found.push(`${c.spec.names.kind}/${v.name} ${path}: ${r.rule}`);
          for (const [k, child] of Object.entries((n.properties as Json | undefined) ?? {})) visit(child, path ? `${path}.${k}` : k);
          if (n.items) visit(n.items, `${path}[]`);
        };
        visit(v.schema.openAPIV3Schema, "");
        return found;
      }),
    );
    expect(rules).toEqual([
      "BGPAdvertisement/v1beta1 spec: !has(self.serviceSelectors) || size(self.serviceSelectors) == 0 || ((!has(self.aggregationLength) || self.aggregationLength == 32) && (!has(self.aggregationLengthV6) || self.aggregationLengthV6 == 128))",
      "BGPPeer/v1beta2 spec.connectTime: duration(self).getSeconds() >= 1 && duration(self).getSeconds() <= 65535",
      "BGPPeer/v1beta2 spec.connectTime: duration(self).getMilliseconds() % 1000 == 0",
      "BGPPeer/v1beta2 spec.enableGracefulRestart: self == oldSelf",
      "ServiceL2Status/v1beta1 status.node: self == oldSelf",
      "ServiceL2Status/v1beta1 status.serviceName: self == oldSelf",
      "ServiceL2Status/v1beta1 status.serviceNamespace: self == oldSelf",
      "ServiceBGPStatus/v1beta1 status.node: self == oldSelf",
      "ServiceBGPStatus/v1beta1 status.serviceName: self == oldSelf",
      "ServiceBGPStatus/v1beta1 status.serviceNamespace: self == oldSelf",
    ]);
  });
});

describe("checkCRD refuses what the API server refuses", () => {
  const cases: [string, (crd: Json) => void, { path: string; message: string }[]][] = [
    ["a node without type", (c) => void delete autoAssign(c).type, [
      { path: `${P}.properties.spec.properties.autoAssign`, message: "type must be set (structural schema)" },
    ]],
    ["properties next to additionalProperties", (c) => void (specNode(c).additionalProperties = { type: "string" }), [
      { path: `${P}.properties.spec`, message: "properties and additionalProperties are mutually exclusive" },
    ]],
    ["a default of the wrong type", (c) => void (autoAssign(c).default = "yes"), [
      { path: `${P}.properties.spec.properties.autoAssign.default`, message: 'default: Invalid value: "string": default in body must be of type boolean: "string"' },
    ]],
    ["a default out of range", (c) => {
      const prio = at(c, `${ROOT}.properties.status.properties.assignedIPv4`);
      prio.default = -1;
    }, [
      { path: `${P}.properties.status.properties.assignedIPv4.default`, message: "default: Invalid value: -1: default in body should be greater than or equal to 0" },
    ]],
    ["a default on the root", (c) => void (at(c, ROOT).default = {}), [
      { path: P, message: "default is only allowed on a field (under properties or additionalProperties), not on the root or on list items" },
    ]],
    ["a default on list items", (c) => void (at(c, `${ROOT}.properties.spec.properties.addresses.items`).default = "192.0.2.0/24"), [
      { path: `${P}.properties.spec.properties.addresses.items`, message: "default is only allowed on a field (under properties or additionalProperties), not on the root or on list items" },
    ]],
    ["an object default with a field pruning would drop", (c) => void (specNode(c).default = { addresses: [], bogus: 1 }), [
      { path: `${P}.properties.spec.default`, message: 'default has field "bogus" that pruning would drop' },
    ]],
    ["x-kubernetes-list-type on a scalar", (c) => void (autoAssign(c)["x-kubernetes-list-type"] = "atomic"), [
      { path: `${P}.properties.spec.properties.autoAssign`, message: "x-kubernetes-list-type is only allowed on type array" },
    ]],
    ["a list map keyed by an optional field", (c) => {
      const addresses = at(c, `${ROOT}.properties.spec.properties.addresses`);
      addresses.items = { type: "object", properties: { cidr: { type: "string" } } };
      addresses["x-kubernetes-list-type"] = "map";
      addresses["x-kubernetes-list-map-keys"] = ["cidr"];
    }, [
      { path: `${P}.properties.spec.properties.addresses`, message: 'list map key "cidr" must be required or have a default' },
    ]],
    ["x-kubernetes-map-type on an array", (c) => void (at(c, `${ROOT}.properties.spec.properties.addresses`)["x-kubernetes-map-type"] = "atomic"), [
      { path: `${P}.properties.spec.properties.addresses`, message: "x-kubernetes-map-type is only allowed on type object" },
    ]],
    ["a transition rule inside an atomic list", (c) => void (at(c, `${ROOT}.properties.spec.properties.addresses.items`)["x-kubernetes-validations"] = [{ rule: "self == oldSelf", message: "immutable" }]), [
      { path: `${P}.properties.spec.properties.addresses.items.x-kubernetes-validations[0]`, message: "oldSelf cannot be used here: list elements are only correlatable in lists of type map" },
    ]],
    ["a $ref", (c) => void (autoAssign(c).$ref = "#/definitions/x"), [
      { path: `${P}.properties.spec.properties.autoAssign`, message: 'unknown schema key "$ref"' },
      { path: `${P}.properties.spec.properties.autoAssign`, message: "$ref is not allowed in a CRD schema" },
    ]],
    ["an enum value of the wrong type", (c) => void (autoAssign(c).enum = [true, "no"]), [
      { path: `${P}.properties.spec.properties.autoAssign`, message: 'enum value "no" is not of type boolean' },
    ]],
    ["metadata constrained beyond name", (c) => void (at(c, `${ROOT}.properties.metadata`).properties = { labels: { type: "object" } }), [
      { path: `${P}.properties.metadata`, message: "metadata may only constrain name and generateName, not labels" },
    ]],
    ["a printer column pointing nowhere", (c) => void (at(c, "spec.versions.0.additionalPrinterColumns.0").jsonPath = ".spec.autoAsign"), [
      { path: "spec.versions[0].additionalPrinterColumns[0].jsonPath", message: ".spec.autoAsign does not name a field of the schema" },
    ]],
    ["a printer column of an unknown type", (c) => void (at(c, "spec.versions.0.additionalPrinterColumns.0").type = "bool"), [
      { path: "spec.versions[0].additionalPrinterColumns[0].type", message: "bool is not one of integer, number, string, boolean, date" },
    ]],
    ["two storage versions", (c) => {
      const versions = at(c, "spec.versions") as unknown as Json[];
      versions.push({ ...clone(versions[0] as Json), name: "v1" });
    }, [{ path: "spec.versions", message: "exactly one version must be the storage version (found 2)" }]],
    ["a status subresource without a status field", (c) => void delete at(c, `${ROOT}.properties`).status, [
      { path: "spec.versions[0].subresources.status", message: "a status subresource needs a status field in the schema" },
    ]],
    ["server-owned metadata", (c) => void (at(c, "metadata").uid = "x"), [{ path: "metadata.uid", message: "set by the API server; leave it out" }]],
    ["a name that is not plural.group", (c) => void (at(c, "metadata").name = "ipaddresspool.metallb.io"), [
      { path: "metadata.name", message: "must be <plural>.<group> (ipaddresspools.metallb.io)" },
    ]],
    ["a required field that does not exist", (c) => void (specNode(c).required = ["addresses", "adresses"]), [
      { path: `${P}.properties.spec`, message: 'required field "adresses" is not among the properties' },
    ]],
  ];

  it.each(cases)("%s", (_what, breakIt, expected) => {
    const crd = poolCRD();
    breakIt(crd);
    expect(checkCRD(crd)).toEqual(expected);
  });
});

describe("jsonPathResolves", () => {
  const bgpPeerRoot = crdFor("BGPPeer").spec.versions[0]?.schema.openAPIV3Schema;

  it("resolves every field of every schema, and metadata fields", () => {
    for (const kind of kindSources) {
      for (const v of kind.versions) {
        const root = crdFor(kind.kind).spec.versions.find((x) => x.name === v.name)?.schema.openAPIV3Schema;
        for (const top of ["spec", "status"] as const) {
          const s = v[top];
          if (!s) continue;
          for (const f of walkFields(s, top, false)) expect(jsonPathResolves(root, "." + f.path.replace(/\[\]/g, "[*]"))).toBe(true);
        }
      }
    }
    expect(jsonPathResolves(bgpPeerRoot, ".metadata.creationTimestamp")).toBe(true);
    expect(jsonPathResolves(bgpPeerRoot, ".status.sessions[0].state")).toBe(true);
    expect(jsonPathResolves(bgpPeerRoot, ".spec.nodeSelectors[0].matchLabels.zone")).toBe(true);
  });

  it("refuses paths that name no field", () => {
    expect(jsonPathResolves(bgpPeerRoot, "spec.peerAddress")).toBe(false);
    expect(jsonPathResolves(bgpPeerRoot, ".metadata.nope")).toBe(false);
    expect(jsonPathResolves(bgpPeerRoot, ".spec.peerAddress[0]")).toBe(false);
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,12}$/), (name) => {
        const known = name === "spec" || name === "status" || name === "metadata" || name === "kind";
        expect(jsonPathResolves(bgpPeerRoot, `.spec.${name}x`)).toBe(false);
        expect(jsonPathResolves(bgpPeerRoot, `.${name}`)).toBe(known);
      }),
    );
  });
});

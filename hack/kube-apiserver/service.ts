/**
 * Service strategy: defaults, ClusterIP/NodePort allocation, the validation errors recorded in recordings/02-crud.md 7,
 * status validation (recordings/04-status.md 2h) and the `kubectl get svc` columns (recordings/06-table.md 1).
 */
import { isIP } from "node:net";
import type { CreateContext, ResourceType } from "./resource";
import { STANDARD_VERBS } from "./resource";
import { ensureObj, getPath, isObject, obj, str } from "./json";
import type { Json, JsonObject, StatusCause } from "./status";
import { duplicate, forbidden, invalidValue, notSupported, required } from "./status";
import { age, ageCol, col, nameCol } from "./table-columns";

const SERVICE_CIDR_BASE = (10 << 24) | (96 << 16); // 10.96.0.0/16
const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const DNS1035_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const HOSTNAME_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const ipString = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

function usedAllocations(ctx: CreateContext, exceptUid?: string): { ips: Set<string>; ports: Set<number> } {
  const ips = new Set<string>();
  const ports = new Set<number>();
  for (const s of ctx.store.list("/services")) {
    if (exceptUid && getPath(s, ["metadata", "uid"]) === exceptUid) continue;
    const spec = obj(s, "spec");
    if (!spec) continue;
    const cips = spec.clusterIPs;
    if (Array.isArray(cips)) for (const ip of cips) if (typeof ip === "string") ips.add(ip);
    for (const p of portsOf(spec)) if (typeof p.nodePort === "number") ports.add(p.nodePort);
  }
  return { ips, ports };
}

function portsOf(spec: JsonObject): JsonObject[] {
  const ports = spec.ports;
  return Array.isArray(ports) ? ports.filter(isObject) : [];
}

function allocateIP(used: Set<string>): string {
  for (let attempt = 0; attempt < 100000; attempt++) {
    const host = 1 + Math.floor(Math.random() * 65533);
    const ip = ipString(SERVICE_CIDR_BASE + host);
    if (!used.has(ip)) {
      used.add(ip);
      return ip;
    }
  }
  throw new Error("service CIDR exhausted");
}

function allocatePort(used: Set<number>): number {
  for (let attempt = 0; attempt < 100000; attempt++) {
    const p = NODE_PORT_MIN + Math.floor(Math.random() * (NODE_PORT_MAX - NODE_PORT_MIN + 1));
    if (!used.has(p)) {
      used.add(p);
      return p;
    }
  }
  throw new Error("node port range exhausted");
}

const wantsNodePorts = (spec: JsonObject): boolean =>
  spec.type === "NodePort" || (spec.type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts !== false);

function applyDefaults(o: JsonObject): void {
  const spec = ensureObj(o, "spec");
  spec.type ??= "ClusterIP";
  for (const p of portsOf(spec)) {
    p.protocol ??= "TCP";
    if (p.targetPort === undefined && typeof p.port === "number") p.targetPort = p.port;
  }
  if (spec.type !== "ExternalName") {
    spec.sessionAffinity ??= "None";
    spec.internalTrafficPolicy ??= "Cluster";
  }
  if (spec.sessionAffinity === "ClientIP" && !isObject(spec.sessionAffinityConfig)) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  if (spec.type === "NodePort" || spec.type === "LoadBalancer") spec.externalTrafficPolicy ??= "Cluster";
  if (spec.type === "LoadBalancer") spec.allocateLoadBalancerNodePorts ??= true;
  if (!isObject(o.status)) o.status = { loadBalancer: {} };
  else if (!isObject((o.status as JsonObject).loadBalancer)) (o.status as JsonObject).loadBalancer = {};
}

function allocate(o: JsonObject, ctx: CreateContext, old: JsonObject | undefined): void {
  const spec = ensureObj(o, "spec");
  const used = usedAllocations(ctx, old ? str(getPath(old, ["metadata", "uid"])) : undefined);
  const oldSpec = old ? obj(old, "spec") : undefined;
  if (spec.type === "ExternalName") {
    delete spec.clusterIP;
    delete spec.clusterIPs;
    delete spec.ipFamilies;
    delete spec.ipFamilyPolicy;
  } else {
    if ((spec.clusterIP === undefined || spec.clusterIP === "") && oldSpec && typeof oldSpec.clusterIP === "string") {
      spec.clusterIP = oldSpec.clusterIP;
      spec.clusterIPs = oldSpec.clusterIPs ?? [oldSpec.clusterIP];
    }
    if (spec.clusterIP === undefined || spec.clusterIP === "") {
      spec.clusterIP = ctx.dryRun ? ipString(SERVICE_CIDR_BASE) : allocateIP(used.ips);
    }
    if (!Array.isArray(spec.clusterIPs) || spec.clusterIPs.length === 0) spec.clusterIPs = [spec.clusterIP];
    spec.ipFamilies ??= oldSpec?.ipFamilies ?? ["IPv4"];
    spec.ipFamilyPolicy ??= oldSpec?.ipFamilyPolicy ?? "SingleStack";
  }
  const oldPorts = oldSpec ? portsOf(oldSpec) : [];
  for (const p of portsOf(spec)) {
    if (!wantsNodePorts(spec)) {
      if (spec.type !== "NodePort" && spec.type !== "LoadBalancer") delete p.nodePort;
      continue;
    }
    if (typeof p.nodePort === "number" && p.nodePort !== 0) continue;
    // Like the registry, keep the node port an edited port had (matched by name, then by port number).
    const prev = oldPorts.find((q) => p.name !== undefined && q.name === p.name) ?? oldPorts.find((q) => q.port === p.port);
    p.nodePort = typeof prev?.nodePort === "number" ? prev.nodePort : allocatePort(used.ports);
  }
}

function validateSpec(o: JsonObject, old: JsonObject | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = str(getPath(o, ["metadata", "name"])) ?? "";
  if (!old && !DNS1035.test(name)) causes.push(invalidValue("metadata.name", name, DNS1035_MESSAGE));
  const spec = obj(o, "spec") ?? {};
  const types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
  if (typeof spec.type === "string" && !types.includes(spec.type)) causes.push(notSupported("spec.type", spec.type, types));
  const ports = portsOf(spec);
  if (ports.length === 0 && spec.type !== "ExternalName" && spec.clusterIP !== "None") causes.push(required("spec.ports"));
  const names = new Set<string>();
  const seen = new Set<string>();
  const nodePorts = new Set<number>();
  ports.forEach((p, i) => {
    const f = `spec.ports[${i}]`;
    if (ports.length > 1 && (p.name === undefined || p.name === "")) causes.push(required(`${f}.name`));
    if (typeof p.name === "string" && p.name !== "") {
      if (names.has(p.name)) causes.push(duplicate(`${f}.name`, p.name));
      names.add(p.name);
    }
    const port = p.port;
    if (typeof port !== "number" || port < 1 || port > 65535) causes.push(invalidValue(`${f}.port`, (port ?? 0) as Json, "must be between 1 and 65535, inclusive"));
    const protos = ["SCTP", "TCP", "UDP"];
    if (typeof p.protocol === "string" && !protos.includes(p.protocol)) causes.push(notSupported(`${f}.protocol`, p.protocol, protos));
    if (typeof p.nodePort === "number" && p.nodePort !== 0) {
      if (nodePorts.has(p.nodePort)) causes.push(duplicate(`${f}.nodePort`, p.nodePort));
      nodePorts.add(p.nodePort);
    }
    const key = `${String(p.port)}/${String(p.protocol)}`;
    if (seen.has(key)) {
      const value = `core.ServicePort{Name:"", Protocol:"${String(p.protocol)}", AppProtocol:(*string)(nil), Port:${String(p.port)}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
      causes.push({ reason: "FieldValueDuplicate", message: `Duplicate value: ${value}`, field: f });
    }
    seen.add(key);
  });
  if (spec.type !== "LoadBalancer" && Array.isArray(spec.loadBalancerSourceRanges) && spec.loadBalancerSourceRanges.length > 0) {
    causes.push(forbidden("spec.LoadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'"));
  }
  if (spec.type !== "LoadBalancer" && spec.type !== "NodePort" && spec.externalTrafficPolicy !== undefined && spec.externalTrafficPolicy !== "") {
    causes.push(invalidValue("spec.externalTrafficPolicy", spec.externalTrafficPolicy, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
  }
  return causes;
}

function validateStatus(o: JsonObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const ingress = getPath(o, ["status", "loadBalancer", "ingress"]);
  if (!Array.isArray(ingress)) return causes;
  ingress.forEach((ing, i) => {
    if (!isObject(ing)) return;
    if (typeof ing.ip === "string" && ing.ip !== "" && isIP(ing.ip) === 0) {
      causes.push(invalidValue(`status.loadBalancer.ingress[${i}].ip`, ing.ip, "must be a valid IP address"));
    }
    if (typeof ing.hostname === "string" && ing.hostname !== "") {
      if (!DNS1123_SUBDOMAIN.test(ing.hostname)) causes.push(invalidValue(`status.loadBalancer.ingress[${i}].hostname`, ing.hostname, HOSTNAME_MESSAGE));
      else if (isIP(ing.hostname) !== 0) causes.push(invalidValue(`status.loadBalancer.ingress[${i}].hostname`, ing.hostname, "must be a DNS name, not an IP address"));
    }
  });
  return causes;
}

/**
 * status.loadBalancer.ingress[].ipMode (KEP-1860). A server that does not serve it (the recorded
 * 1.26) drops it as an unknown field: the paths dropped are returned for the `unknown field`
 * warnings. One that does (1.30+, the gate on) defaults it to VIP where `ip` is set and validates it
 * as k8s.io/kubernetes pkg/apis/core/validation ValidateLoadBalancerStatus does.
 */
export function ingressIPMode(o: JsonObject, served: boolean): { unknown: string[]; causes: StatusCause[] } {
  const unknown: string[] = [];
  const causes: StatusCause[] = [];
  const ingress = getPath(o, ["status", "loadBalancer", "ingress"]);
  if (!Array.isArray(ingress)) return { unknown, causes };
  ingress.forEach((ing, i) => {
    if (!isObject(ing)) return;
    const field = `status.loadBalancer.ingress[${i}].ipMode`;
    const hasIP = typeof ing.ip === "string" && ing.ip !== "";
    if (!served) {
      if (ing.ipMode !== undefined) {
        delete ing.ipMode;
        unknown.push(field);
      }
      return;
    }
    if ((ing.ipMode === undefined || ing.ipMode === null) && hasIP) ing.ipMode = "VIP";
    if (ing.ipMode === undefined || ing.ipMode === null) return;
    if (!hasIP) causes.push(forbidden(field, "may not be specified when `ip` is not set"));
    else if (ing.ipMode !== "VIP" && ing.ipMode !== "Proxy") causes.push(notSupported(field, ing.ipMode, ["Proxy", "VIP"]));
  });
  return { unknown, causes };
}

function externalIP(spec: JsonObject, status: JsonObject | undefined): string {
  const extIPs = Array.isArray(spec.externalIPs) ? spec.externalIPs.filter((x): x is string => typeof x === "string") : [];
  switch (spec.type) {
    case "ExternalName":
      return typeof spec.externalName === "string" ? spec.externalName : "<none>";
    case "LoadBalancer": {
      const ing = getPath(status, ["loadBalancer", "ingress"]);
      const lb = Array.isArray(ing)
        ? ing.filter(isObject).map((x) => (typeof x.ip === "string" && x.ip !== "" ? x.ip : typeof x.hostname === "string" ? x.hostname : "")).filter((x) => x !== "")
        : [];
      const all = [...lb, ...extIPs];
      if (all.length > 0) return all.join(",");
      return "<pending>";
    }
    default:
      return extIPs.length > 0 ? extIPs.join(",") : "<none>";
  }
}

function portsCell(spec: JsonObject): string {
  const ports = portsOf(spec);
  if (ports.length === 0) return "<none>";
  return ports
    .map((p) => (typeof p.nodePort === "number" && p.nodePort !== 0 ? `${String(p.port)}:${p.nodePort}/${String(p.protocol ?? "TCP")}` : `${String(p.port)}/${String(p.protocol ?? "TCP")}`))
    .join(",");
}

export function selectorString(sel: Json | undefined): string {
  if (!isObject(sel) || Object.keys(sel).length === 0) return "<none>";
  return Object.keys(sel)
    .sort()
    .map((k) => `${k}=${String(sel[k])}`)
    .join(",");
}

export const serviceType: ResourceType = {
  group: "",
  versions: ["v1"],
  storageVersion: "v1",
  plural: "services",
  singular: "",
  kind: "Service",
  listKind: "ServiceList",
  namespaced: true,
  shortNames: ["svc"],
  categories: ["all"],
  verbs: STANDARD_VERBS,
  storageVersionHash: "0/CO1lhkEBI=",
  hasStatus: true,
  hasGeneration: false,
  storageKey: "/services",
  strategicMerge: true,
  allowUnconditionalUpdate: true,
  allowCreateOnUpdate: true,
  sortedKeys: false,
  fieldSelectors: { fields: [], style: "known" },
  prepareCreate(o, ctx) {
    applyDefaults(o);
    if (ctx.allocate) allocate(o, ctx, undefined);
  },
  prepareUpdate(o, old, ctx) {
    applyDefaults(o);
    allocate(o, ctx, old);
  },
  validate: validateSpec,
  validateStatus,
  columns: [
    nameCol(),
    col(
      "Type",
      "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.",
    ),
    col("Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly."),
    col("External-IP", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
    col("Port(s)", "The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"),
    ageCol(),
    col("Selector", "Route service traffic to pods with label keys and values matching this selector.", 1),
  ],
  cells(o, now) {
    const spec = obj(o, "spec") ?? {};
    const clusterIP = spec.type === "ExternalName" ? "<none>" : typeof spec.clusterIP === "string" && spec.clusterIP !== "" ? spec.clusterIP : "<none>";
    return [
      str(getPath(o, ["metadata", "name"])) ?? "",
      str(spec.type) ?? "ClusterIP",
      clusterIP,
      externalIP(spec, obj(o, "status")),
      portsCell(spec),
      age(getPath(o, ["metadata", "creationTimestamp"]), now),
      selectorString(spec.selector),
    ];
  },
  listKeys: { "spec.ports": ["port", "protocol"], "status.conditions": ["type"] },
  atomic: ["spec.selector"],
  smpKeys: { "spec.ports": "port", "status.conditions": "type" },
};

/**
 * The built-in kinds other than Service (service.ts) and CustomResourceDefinition (crd.ts):
 * names, scope, defaults, the validation that Lodestone can observe, and `kubectl get` columns.
 */
import type { ResourceType } from "./resource";
import { STANDARD_VERBS } from "./resource";
import { ensureObj, getPath, isObject, str } from "./json";
import type { Json, JsonObject, StatusCause } from "./status";
import { invalidValue, required } from "./status";
import { age, ageCol, col, nameCol } from "./table-columns";
import { selectorString } from "./service";

type Partial = Pick<ResourceType, "group" | "plural" | "kind"> & Omit<globalThis.Partial<ResourceType>, "group" | "plural" | "kind">;

export function builtin(p: Partial): ResourceType {
  const version = p.versions?.[0] ?? "v1";
  return {
    versions: [version],
    storageVersion: version,
    singular: "",
    listKind: `${p.kind}List`,
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: STANDARD_VERBS,
    hasStatus: false,
    hasGeneration: false,
    storageKey: `${p.group}/${p.plural}`,
    strategicMerge: true,
    allowUnconditionalUpdate: true,
    allowCreateOnUpdate: false,
    sortedKeys: false,
    fieldSelectors: { fields: [], style: "known" },
    columns: [nameCol(), ageCol()],
    cells: (o, now) => [name(o), age(getPath(o, ["metadata", "creationTimestamp"]), now)],
    ...p,
  };
}

const name = (o: JsonObject): string => str(getPath(o, ["metadata", "name"])) ?? "";
const created = (o: JsonObject, now: Date): string => age(getPath(o, ["metadata", "creationTimestamp"]), now);
const count = (v: Json | undefined): number => (isObject(v) ? Object.keys(v).length : Array.isArray(v) ? v.length : 0);
const num = (v: Json | undefined): number => (typeof v === "number" ? v : 0);

export const namespaceType = builtin({
  group: "",
  plural: "namespaces",
  kind: "Namespace",
  namespaced: false,
  shortNames: ["ns"],
  verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
  storageVersionHash: "Q3oi5N2YM8M=",
  hasStatus: true,
  fieldSelectors: { fields: ["status.phase"], style: "label", extract: (o) => ({ "status.phase": str(getPath(o, ["status", "phase"])) ?? "" }) },
  prepareCreate(o) {
    const labels = ensureObj(ensureObj(o, "metadata"), "labels");
    labels["kubernetes.io/metadata.name"] = name(o);
    ensureObj(o, "spec").finalizers ??= ["kubernetes"];
    ensureObj(o, "status").phase ??= "Active";
  },
  prepareUpdate(o, old) {
    ensureObj(ensureObj(o, "metadata"), "labels")["kubernetes.io/metadata.name"] = name(o);
    o.spec = getPath(old, ["spec"]) ?? { finalizers: ["kubernetes"] };
  },
  validate(o, old) {
    const n = name(o);
    if (!old && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n)) {
      return [
        invalidValue(
          "metadata.name",
          n,
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        ),
      ];
    }
    return [];
  },
  columns: [nameCol(), col("Status", "The status of the namespace"), ageCol()],
  cells: (o, now) => [name(o), str(getPath(o, ["status", "phase"])) ?? "", created(o, now)],
});

function nodeStatus(o: JsonObject): string {
  const conds = getPath(o, ["status", "conditions"]);
  const ready = Array.isArray(conds) ? conds.filter(isObject).find((c) => c.type === "Ready") : undefined;
  let s = !ready ? "Unknown" : ready.status === "True" ? "Ready" : ready.status === "False" ? "NotReady" : "Unknown";
  if (getPath(o, ["spec", "unschedulable"]) === true) s += ",SchedulingDisabled";
  return s;
}

export const nodeType = builtin({
  group: "",
  plural: "nodes",
  kind: "Node",
  namespaced: false,
  shortNames: ["no"],
  storageVersionHash: "XwShjMxG9Fs=",
  hasStatus: true,
  keepsStatusOnCreate: true,
  fieldSelectors: {
    fields: ["spec.unschedulable"],
    style: "label",
    extract: (o) => ({ "spec.unschedulable": String(getPath(o, ["spec", "unschedulable"]) === true) }),
  },
  prepareCreate(o) {
    const spec = ensureObj(o, "spec");
    if (!Array.isArray(spec.taints)) spec.taints = [];
    const taints = spec.taints as Json[];
    if (!taints.some((t) => isObject(t) && t.key === "node.kubernetes.io/not-ready")) {
      taints.push({ key: "node.kubernetes.io/not-ready", effect: "NoSchedule" });
    }
    const status = ensureObj(o, "status");
    status.daemonEndpoints ??= { kubeletEndpoint: { Port: 0 } };
    status.nodeInfo ??= {
      machineID: "",
      systemUUID: "",
      bootID: "",
      kernelVersion: "",
      osImage: "",
      containerRuntimeVersion: "",
      kubeletVersion: "",
      kubeProxyVersion: "",
      operatingSystem: "",
      architecture: "",
    };
  },
  columns: [nameCol(), col("Status", "The status of the node"), col("Roles", "The roles of the node"), ageCol(), col("Version", "Kubelet Version reported by the node."), col("Internal-IP", "List of internal IPs in the node.", 1)],
  cells(o, now) {
    const labels = getPath(o, ["metadata", "labels"]);
    const roles = isObject(labels)
      ? Object.keys(labels)
          .filter((k) => k.startsWith("node-role.kubernetes.io/"))
          .map((k) => k.slice("node-role.kubernetes.io/".length))
          .sort()
      : [];
    const addrs = getPath(o, ["status", "addresses"]);
    const internal = Array.isArray(addrs) ? addrs.filter(isObject).find((a) => a.type === "InternalIP") : undefined;
    return [
      name(o),
      nodeStatus(o),
      roles.length > 0 ? roles.join(",") : "<none>",
      created(o, now),
      str(getPath(o, ["status", "nodeInfo", "kubeletVersion"])) ?? "",
      str(internal?.address) ?? "<none>",
    ];
  },
  listKeys: { "status.conditions": ["type"], "status.addresses": ["type"] },
  smpKeys: { "status.conditions": "type", "status.addresses": "type" },
});

const POD_FIELDS = ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"];

function defaultPodSpec(spec: JsonObject): void {
  spec.restartPolicy ??= "Always";
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= "ClusterFirst";
  spec.securityContext ??= {};
  spec.schedulerName ??= "default-scheduler";
  const containers = Array.isArray(spec.containers) ? spec.containers.filter(isObject) : [];
  for (const c of containers) {
    c.resources ??= {};
    c.terminationMessagePath ??= "/dev/termination-log";
    c.terminationMessagePolicy ??= "File";
    const image = str(c.image) ?? "";
    c.imagePullPolicy ??= /:[^/]+$/.test(image) && !image.endsWith(":latest") ? "IfNotPresent" : "Always";
  }
}

export const podType = builtin({
  group: "",
  plural: "pods",
  kind: "Pod",
  shortNames: ["po"],
  categories: ["all"],
  storageVersionHash: "xPOwRZ+Yhw8=",
  hasStatus: true,
  fieldSelectors: {
    fields: POD_FIELDS,
    style: "label",
    extract: (o) => Object.fromEntries(POD_FIELDS.map((f) => [f, String(getPath(o, f.split(".")) ?? (f === "spec.hostNetwork" ? "false" : ""))])),
  },
  prepareCreate(o) {
    const spec = ensureObj(o, "spec");
    defaultPodSpec(spec);
    spec.serviceAccountName ??= "default";
    spec.serviceAccount ??= spec.serviceAccountName;
    spec.enableServiceLinks ??= true;
    spec.preemptionPolicy ??= "PreemptLowerPriority";
    spec.priority ??= 0;
    spec.tolerations ??= [
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
    ];
    const status = ensureObj(o, "status");
    status.phase ??= "Pending";
    status.qosClass ??= "BestEffort";
  },
  validate(o) {
    const containers = getPath(o, ["spec", "containers"]);
    return Array.isArray(containers) && containers.length > 0 ? [] : [required("spec.containers")];
  },
  columns: [nameCol(), col("Ready", "The aggregate readiness state of this pod for accepting traffic."), col("Status", "The aggregate status of the containers in this pod."), col("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."), ageCol(), col("IP", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1), col("Node", "NodeName is a request to schedule this pod onto a specific node.", 1)],
  cells(o, now) {
    const containers = getPath(o, ["spec", "containers"]);
    const statuses = getPath(o, ["status", "containerStatuses"]);
    const sts = Array.isArray(statuses) ? statuses.filter(isObject) : [];
    const ready = sts.filter((s) => s.ready === true).length;
    const restarts = sts.reduce((n, s) => n + num(s.restartCount), 0);
    let status = str(getPath(o, ["status", "reason"])) ?? str(getPath(o, ["status", "phase"])) ?? "";
    if (getPath(o, ["metadata", "deletionTimestamp"])) status = "Terminating";
    return [
      name(o),
      `${ready}/${Array.isArray(containers) ? containers.length : 0}`,
      status,
      restarts,
      created(o, now),
      str(getPath(o, ["status", "podIP"])) ?? "<none>",
      str(getPath(o, ["spec", "nodeName"])) ?? "<none>",
    ];
  },
  listKeys: { "spec.containers": ["name"], "status.conditions": ["type"], "spec.volumes": ["name"] },
  smpKeys: { "spec.containers": "name", "spec.initContainers": "name", "spec.containers.env": "name", "spec.containers.ports": "containerPort", "spec.volumes": "name", "status.conditions": "type", "spec.containers.volumeMounts": "mountPath" },
});

export const configMapType = builtin({
  group: "",
  plural: "configmaps",
  kind: "ConfigMap",
  shortNames: ["cm"],
  storageVersionHash: "qFsyl6wFWjQ=",
  columns: [nameCol(), col("Data", "Data contains the configuration data."), ageCol()],
  cells: (o, now) => [name(o), count(o.data) + count(o.binaryData), created(o, now)],
});

export const secretType = builtin({
  group: "",
  plural: "secrets",
  kind: "Secret",
  storageVersionHash: "S6u1pOWzb84=",
  fieldSelectors: { fields: ["type"], style: "label", extract: (o) => ({ type: str(o.type) ?? "" }) },
  prepareCreate(o) {
    o.type ??= "Opaque";
    foldStringData(o);
  },
  prepareUpdate(o) {
    o.type ??= "Opaque";
    foldStringData(o);
  },
  columns: [nameCol(), col("Type", "The type of the secret"), col("Data", "The number of entries in the secret"), ageCol()],
  cells: (o, now) => [name(o), str(o.type) ?? "", count(o.data), created(o, now)],
});

/** stringData is write-only: merged into data (base64) and dropped, as the real registry does. */
function foldStringData(o: JsonObject): void {
  const sd = o.stringData;
  if (!isObject(sd)) return;
  const data = ensureObj(o, "data");
  for (const [k, v] of Object.entries(sd)) if (typeof v === "string") data[k] = Buffer.from(v, "utf8").toString("base64");
  delete o.stringData;
}

export const endpointsType = builtin({
  group: "",
  plural: "endpoints",
  kind: "Endpoints",
  listKind: "EndpointsList",
  shortNames: ["ep"],
  storageVersionHash: "fWeeMqaN/OA=",
  columns: [nameCol(), col("Endpoints", "Endpoints of the service"), ageCol()],
  cells(o, now) {
    const subsets = Array.isArray(o.subsets) ? o.subsets.filter(isObject) : [];
    const eps: string[] = [];
    for (const s of subsets) {
      const addrs = Array.isArray(s.addresses) ? s.addresses.filter(isObject) : [];
      const ports = Array.isArray(s.ports) ? s.ports.filter(isObject) : [];
      for (const a of addrs) for (const p of ports.length > 0 ? ports : [{}]) eps.push(p.port !== undefined ? `${String(a.ip)}:${String(p.port)}` : String(a.ip));
    }
    return [name(o), eps.length > 0 ? eps.join(",") : "<none>", created(o, now)];
  },
});

export const endpointSliceType = builtin({
  group: "discovery.k8s.io",
  plural: "endpointslices",
  kind: "EndpointSlice",
  storageVersionHash: "Nx3SIv6I0mE=",
  hasGeneration: true,
  validate(o) {
    const at = o.addressType;
    const ok = ["IPv4", "IPv6", "FQDN"];
    if (at === undefined) return [required("addressType")];
    if (typeof at !== "string" || !ok.includes(at)) return [{ reason: "FieldValueNotSupported", message: `Unsupported value: ${JSON.stringify(at)}: supported values: "FQDN", "IPv4", "IPv6"`, field: "addressType" }];
    return [];
  },
  columns: [nameCol(), col("AddressType", "Type of address carried by this EndpointSlice"), col("Ports", "Ports advertised by this EndpointSlice"), col("Endpoints", "Endpoints included in this EndpointSlice"), ageCol()],
  cells(o, now) {
    const ports = Array.isArray(o.ports) ? o.ports.filter(isObject).map((p) => String(p.port)) : [];
    const eps = Array.isArray(o.endpoints) ? o.endpoints.filter(isObject).flatMap((e) => (Array.isArray(e.addresses) ? e.addresses.map(String) : [])) : [];
    return [name(o), str(o.addressType) ?? "", ports.length > 0 ? ports.join(",") : "<unset>", eps.length > 0 ? eps.join(",") : "<unset>", created(o, now)];
  },
});

function validateLease(o: JsonObject): StatusCause[] {
  const d = getPath(o, ["spec", "leaseDurationSeconds"]);
  if (d !== undefined && d !== null && (typeof d !== "number" || d <= 0)) return [invalidValue("spec.leaseDurationSeconds", d, "must be greater than 0")];
  return [];
}

export const leaseType = builtin({
  group: "coordination.k8s.io",
  plural: "leases",
  kind: "Lease",
  storageVersionHash: "gqkMMb/YqFM=",
  validate: validateLease,
  columns: [nameCol(), col("Holder", "The holder of the lease"), ageCol()],
  cells: (o, now) => [name(o), str(getPath(o, ["spec", "holderIdentity"])) ?? "", created(o, now)],
});

function defaultWorkload(o: JsonObject, daemon: boolean): void {
  const spec = ensureObj(o, "spec");
  if (!daemon) {
    spec.replicas ??= 1;
    spec.strategy ??= { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } };
    spec.progressDeadlineSeconds ??= 600;
  } else {
    spec.updateStrategy ??= { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
  }
  spec.revisionHistoryLimit ??= 10;
  const tspec = getPath(spec, ["template", "spec"]);
  if (isObject(tspec)) defaultPodSpec(tspec);
  o.status ??= {};
}

function validateWorkload(o: JsonObject): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!isObject(getPath(o, ["spec", "selector"]))) causes.push(required("spec.selector"));
  const containers = getPath(o, ["spec", "template", "spec", "containers"]);
  if (!Array.isArray(containers) || containers.length === 0) causes.push(required("spec.template.spec.containers"));
  return causes;
}

const workloadKeys = {
  "spec.template.spec.containers": "name",
  "spec.template.spec.initContainers": "name",
  "spec.template.spec.containers.env": "name",
  "spec.template.spec.containers.ports": "containerPort",
  "spec.template.spec.containers.volumeMounts": "mountPath",
  "spec.template.spec.volumes": "name",
  "status.conditions": "type",
};

export const deploymentType = builtin({
  group: "apps",
  plural: "deployments",
  kind: "Deployment",
  shortNames: ["deploy"],
  categories: ["all"],
  storageVersionHash: "8aSe+NMegvE=",
  hasStatus: true,
  hasGeneration: true,
  extraSubresources: [{ name: "scale", kind: "Scale", group: "autoscaling", version: "v1" }],
  prepareCreate: (o) => defaultWorkload(o, false),
  prepareUpdate: (o) => defaultWorkload(o, false),
  validate: validateWorkload,
  columns: [nameCol(), col("Ready", "Number of the pod with ready state"), col("Up-to-date", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."), col("Available", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."), ageCol()],
  cells: (o, now) => [
    name(o),
    `${num(getPath(o, ["status", "readyReplicas"]))}/${num(getPath(o, ["spec", "replicas"]))}`,
    num(getPath(o, ["status", "updatedReplicas"])),
    num(getPath(o, ["status", "availableReplicas"])),
    created(o, now),
  ],
  listKeys: { "spec.template.spec.containers": ["name"], "status.conditions": ["type"] },
  smpKeys: workloadKeys,
});

export const daemonSetType = builtin({
  group: "apps",
  plural: "daemonsets",
  kind: "DaemonSet",
  shortNames: ["ds"],
  categories: ["all"],
  storageVersionHash: "dd7pWHUlMKQ=",
  hasStatus: true,
  hasGeneration: true,
  prepareCreate: (o) => defaultWorkload(o, true),
  prepareUpdate: (o) => defaultWorkload(o, true),
  validate: validateWorkload,
  columns: [nameCol(), col("Desired", "The desired number of pods."), col("Current", "The current number of pods."), col("Ready", "The number of pods ready."), col("Up-to-date", "The number of pods updated."), col("Available", "The number of pods available."), col("Node Selector", "The node selector"), ageCol()],
  cells: (o, now) => [
    name(o),
    num(getPath(o, ["status", "desiredNumberScheduled"])),
    num(getPath(o, ["status", "currentNumberScheduled"])),
    num(getPath(o, ["status", "numberReady"])),
    num(getPath(o, ["status", "updatedNumberScheduled"])),
    num(getPath(o, ["status", "numberAvailable"])),
    selectorString(getPath(o, ["spec", "template", "spec", "nodeSelector"])),
    created(o, now),
  ],
  listKeys: { "spec.template.spec.containers": ["name"], "status.conditions": ["type"] },
  smpKeys: workloadKeys,
});

function defaultWebhooks(o: JsonObject, mutating: boolean): void {
  const hooks = Array.isArray(o.webhooks) ? o.webhooks.filter(isObject) : [];
  for (const h of hooks) {
    h.failurePolicy ??= "Fail";
    h.matchPolicy ??= "Equivalent";
    h.namespaceSelector ??= {};
    h.objectSelector ??= {};
    h.timeoutSeconds ??= 10;
    if (mutating) h.reinvocationPolicy ??= "Never";
    const rules = Array.isArray(h.rules) ? h.rules.filter(isObject) : [];
    for (const r of rules) r.scope ??= "*";
  }
}

function validateWebhooks(o: JsonObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const hooks = Array.isArray(o.webhooks) ? o.webhooks : [];
  hooks.forEach((h, i) => {
    if (!isObject(h)) return;
    if (typeof h.name !== "string" || h.name === "") causes.push(required(`webhooks[${i}].name`));
    if (h.sideEffects === undefined) causes.push({ reason: "FieldValueRequired", message: "Required value", field: `webhooks[${i}].sideEffects` });
    if (!Array.isArray(h.admissionReviewVersions) || h.admissionReviewVersions.length === 0) causes.push(required(`webhooks[${i}].admissionReviewVersions`));
  });
  return causes;
}

const webhookCells = (o: JsonObject, now: Date): Json[] => [name(o), count(o.webhooks), created(o, now)];

export const validatingWebhookType = builtin({
  group: "admissionregistration.k8s.io",
  plural: "validatingwebhookconfigurations",
  kind: "ValidatingWebhookConfiguration",
  namespaced: false,
  storageVersionHash: "B0wHjQmsGNk=",
  hasGeneration: true,
  prepareCreate: (o) => defaultWebhooks(o, false),
  prepareUpdate: (o) => defaultWebhooks(o, false),
  validate: validateWebhooks,
  columns: [nameCol(), col("Webhooks", "The number of webhooks"), ageCol()],
  cells: webhookCells,
  smpKeys: { webhooks: "name" },
});

export const mutatingWebhookType = builtin({
  group: "admissionregistration.k8s.io",
  plural: "mutatingwebhookconfigurations",
  kind: "MutatingWebhookConfiguration",
  namespaced: false,
  storageVersionHash: "Sqi0GUgDaX0=",
  hasGeneration: true,
  prepareCreate: (o) => defaultWebhooks(o, true),
  prepareUpdate: (o) => defaultWebhooks(o, true),
  validate: validateWebhooks,
  columns: [nameCol(), col("Webhooks", "The number of webhooks"), ageCol()],
  cells: webhookCells,
  smpKeys: { webhooks: "name" },
});

/**
 * Table-driven checks against the recordings in hack/kube-apiserver/recordings/ (file and section named
 * in each case). Cases run in order against one server, as the recordings were made.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, watchLines, type RawResponse, type TestServer } from "./testkit";

interface Case {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
  /** Expected fields of the JSON body, compared with toMatchObject. */
  expect?: Record<string, unknown>;
  check?: (r: RawResponse) => void;
}

const ns = "rec";
const svc = (name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, ...extra },
  spec,
});

const CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "ipaddresspools.metallb.io" },
  spec: {
    group: "metallb.io",
    names: { plural: "ipaddresspools", singular: "ipaddresspool", kind: "IPAddressPool", listKind: "IPAddressPoolList" },
    scope: "Namespaced",
    versions: [
      {
        name: "v1beta1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            required: ["spec"],
            properties: {
              apiVersion: { type: "string" },
              kind: { type: "string" },
              metadata: { type: "object" },
              spec: {
                type: "object",
                required: ["addresses"],
                properties: {
                  addresses: { type: "array", items: { type: "string" } },
                  autoAssign: { type: "boolean", default: true },
                  avoidBuggyIPs: { type: "boolean", default: false },
                },
              },
              status: { type: "object", properties: { assignedIPv4: { type: "integer", format: "int64" }, availableIPv4: { type: "integer", format: "int64" } } },
            },
          },
        },
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: "Auto Assign", type: "boolean", jsonPath: ".spec.autoAssign" },
          { name: "Avoid Buggy IPs", type: "boolean", jsonPath: ".spec.avoidBuggyIPs" },
          { name: "Addresses", type: "string", jsonPath: ".spec.addresses" },
          { name: "Available", type: "integer", priority: 10, jsonPath: ".status.availableIPv4" },
        ],
      },
    ],
  },
};

const POOLS = `/apis/metallb.io/v1beta1/namespaces/${ns}/ipaddresspools`;
const TABLE = { Accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json" };

const cases: Case[] = [
  { name: "01-discovery §1 /version", method: "GET", path: "/version", status: 200, expect: { major: "1", minor: "26", gitVersion: "v1.26.0" } },
  {
    name: "01-discovery §2b /api with kubectl's aggregated Accept falls back to APIVersions",
    method: "GET",
    path: "/api",
    headers: { Accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json" },
    status: 200,
    expect: { kind: "APIVersions", versions: ["v1"] },
    check: (r) => expect(r.headers["content-type"]).toBe("application/json"),
  },
  {
    name: "01-discovery §3 /api/v1 lists services with shortName svc and services/status",
    method: "GET",
    path: "/api/v1",
    status: 200,
    check: (r) => {
      expect(r.json.kind).toBe("APIResourceList");
      expect(r.json.groupVersion).toBe("v1");
      expect(r.json.apiVersion).toBeUndefined();
      const res = r.json.resources as { name: string; shortNames?: string[]; verbs: string[]; categories?: string[] }[];
      expect(res.find((x) => x.name === "services")).toMatchObject({ shortNames: ["svc"], categories: ["all"], namespaced: true, kind: "Service", singularName: "" });
      expect(res.find((x) => x.name === "services/status")).toEqual({ name: "services/status", singularName: "", namespaced: true, kind: "Service", verbs: ["get", "patch", "update"] });
    },
  },
  { name: "01-discovery §4b /apis/discovery.k8s.io", method: "GET", path: "/apis/discovery.k8s.io", status: 200, expect: { kind: "APIGroup", apiVersion: "v1", name: "discovery.k8s.io", preferredVersion: { groupVersion: "discovery.k8s.io/v1", version: "v1" } } },
  {
    name: "01-discovery §7 /apis/coordination.k8s.io/v1 (complete)",
    method: "GET",
    path: "/apis/coordination.k8s.io/v1",
    status: 200,
    expect: { kind: "APIResourceList", apiVersion: "v1", groupVersion: "coordination.k8s.io/v1", resources: [{ name: "leases", singularName: "", namespaced: true, kind: "Lease", verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"], storageVersionHash: "gqkMMb/YqFM=" }] },
  },
  { name: "01-discovery §7b unknown group-version is a plain-text 404", method: "GET", path: "/apis/metallb.io/v1beta1", status: 404, check: (r) => expect([r.text, r.headers["content-type"]]).toEqual(["404 page not found\n", "text/plain; charset=utf-8"]) },
  { name: "setup: namespace rec", method: "POST", path: "/api/v1/namespaces", body: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }, status: 201, expect: { status: { phase: "Active" } } },
  {
    name: "02-crud §1 create LoadBalancer Service: defaults, allocations, managedFields",
    method: "POST",
    path: `/api/v1/namespaces/${ns}/services`,
    body: svc("lb1", { type: "LoadBalancer", selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] }, { namespace: ns, labels: { app: "rec-demo", tier: "edge" } }),
    status: 201,
    check: (r) => {
      const spec = r.json.spec as Record<string, unknown>;
      expect(spec).toMatchObject({ type: "LoadBalancer", sessionAffinity: "None", externalTrafficPolicy: "Cluster", internalTrafficPolicy: "Cluster", ipFamilies: ["IPv4"], ipFamilyPolicy: "SingleStack", allocateLoadBalancerNodePorts: true });
      expect(String(spec.clusterIP)).toMatch(/^10\.96\.\d+\.\d+$/);
      expect(spec.clusterIPs).toEqual([spec.clusterIP]);
      const port = (spec.ports as { nodePort: number }[])[0];
      expect(port?.nodePort).toBeGreaterThanOrEqual(30000);
      expect(port?.nodePort).toBeLessThanOrEqual(32767);
      expect(r.json.status).toEqual({ loadBalancer: {} });
      const md = r.json.metadata as Record<string, unknown>;
      expect(md.generation).toBeUndefined();
      expect(Object.keys(r.json)).toEqual(["kind", "apiVersion", "metadata", "spec", "status"]);
      expect(md.managedFields).toEqual([
        {
          manager: "rec-client",
          operation: "Update",
          apiVersion: "v1",
          time: md.creationTimestamp,
          fieldsType: "FieldsV1",
          fieldsV1: {
            "f:metadata": { "f:labels": { ".": {}, "f:app": {}, "f:tier": {} } },
            "f:spec": {
              "f:allocateLoadBalancerNodePorts": {},
              "f:externalTrafficPolicy": {},
              "f:internalTrafficPolicy": {},
              "f:ports": { ".": {}, 'k:{"port":80,"protocol":"TCP"}': { ".": {}, "f:name": {}, "f:port": {}, "f:protocol": {}, "f:targetPort": {} } },
              "f:selector": {},
              "f:sessionAffinity": {},
              "f:type": {},
            },
          },
        },
      ]);
    },
  },
  {
    name: "02-crud §3a labelSelector with set syntax; list items have no kind",
    method: "GET",
    path: `/api/v1/namespaces/${ns}/services?labelSelector=app%3Drec-demo%2Ctier%20in%20(edge%2Ccore)`,
    status: 200,
    check: (r) => {
      expect(r.json.kind).toBe("ServiceList");
      const items = r.json.items as Record<string, unknown>[];
      expect(items.map((i) => (i.metadata as { name: string }).name)).toEqual(["lb1"]);
      expect(items[0]?.kind).toBeUndefined();
    },
  },
  { name: "02-crud §3c fieldSelector with no match", method: "GET", path: `/api/v1/namespaces/${ns}/services?fieldSelector=metadata.name%3Dnope`, status: 200, expect: { kind: "ServiceList", items: [] } },
  {
    name: "02-crud §3d unsupported field selector",
    method: "GET",
    path: `/api/v1/namespaces/${ns}/services?fieldSelector=spec.type%3DLoadBalancer`,
    status: 400,
    expect: { kind: "Status", status: "Failure", message: '"spec.type" is not a known field selector: only "metadata.name", "metadata.namespace"', reason: "BadRequest", code: 400 },
  },
  { name: "02-crud §3e malformed labelSelector", method: "GET", path: `/api/v1/namespaces/${ns}/services?labelSelector=app%3D%3D%3D`, status: 400, expect: { message: "unable to parse requirement: found '=', expected: identifier", reason: "BadRequest", code: 400 } },
  {
    name: "02-crud §4b PUT with a stale resourceVersion",
    method: "PUT",
    path: `/api/v1/namespaces/${ns}/services/lb1`,
    body: { ...svc("lb1", { type: "LoadBalancer", ports: [{ name: "http", port: 80 }] }, { namespace: ns, resourceVersion: "1" }) },
    status: 409,
    expect: { message: 'Operation cannot be fulfilled on services "lb1": the object has been modified; please apply your changes to the latest version and try again', reason: "Conflict", details: { name: "lb1", kind: "services" }, code: 409 },
  },
  { name: "02-crud §4d PUT to a missing Service creates it", method: "PUT", path: `/api/v1/namespaces/${ns}/services/put-created`, body: svc("put-created", { ports: [{ port: 80 }] }, { namespace: ns }), status: 201, expect: { spec: { type: "ClusterIP", ports: [{ protocol: "TCP", port: 80, targetPort: 80 }] } } },
  { name: "02-crud §5 GET a missing object", method: "GET", path: `/api/v1/namespaces/${ns}/services/does-not-exist`, status: 404, expect: { message: 'services "does-not-exist" not found', reason: "NotFound", details: { name: "does-not-exist", kind: "services" }, code: 404 } },
  {
    name: "02-crud §6 malformed JSON",
    method: "POST",
    path: `/api/v1/namespaces/${ns}/services`,
    body: '{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"',
    status: 400,
    expect: { message: 'the object provided is unrecognized (must be of type Service): couldn\'t get version/kind; json parse error: unexpected end of JSON input ({"apiVersion":"v1","kind":"Ser ...)', reason: "BadRequest", code: 400 },
  },
  { name: "02-crud §6b namespace mismatch", method: "POST", path: `/api/v1/namespaces/${ns}/services`, body: svc("x", { ports: [{ port: 80 }] }, { namespace: "other" }), status: 400, expect: { message: "the namespace of the provided object does not match the namespace sent on the request", reason: "BadRequest" } },
  {
    name: "02-crud §6c wrong kind for the endpoint",
    method: "POST",
    path: `/api/v1/namespaces/${ns}/services`,
    body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } },
    status: 400,
    expect: { message: 'ConfigMap in version "v1" cannot be handled as a Service: converting (v1.ConfigMap) to (core.Service): unknown conversion', reason: "BadRequest" },
  },
  {
    name: "02-crud §7a port 0 is 422 Invalid",
    method: "POST",
    path: `/api/v1/namespaces/${ns}/services`,
    body: svc("lb-bad", { type: "LoadBalancer", ports: [{ name: "http", port: 0, targetPort: 8080 }] }),
    status: 422,
    expect: {
      message: 'Service "lb-bad" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      reason: "Invalid",
      details: { name: "lb-bad", kind: "Service", causes: [{ reason: "FieldValueInvalid", message: "Invalid value: 0: must be between 1 and 65535, inclusive", field: "spec.ports[0].port" }] },
      code: 422,
    },
  },
  { name: "02-crud §7b LoadBalancer without ports", method: "POST", path: `/api/v1/namespaces/${ns}/services`, body: svc("lb-bad", { type: "LoadBalancer" }), status: 422, expect: { message: 'Service "lb-bad" is invalid: spec.ports: Required value', details: { causes: [{ reason: "FieldValueRequired", message: "Required value", field: "spec.ports" }] } } },
  {
    name: "02-crud §7c several errors at once",
    method: "POST",
    path: `/api/v1/namespaces/${ns}/services`,
    body: svc("Bad_Name", { type: "LoadBalancer", loadBalancerIP: "not-an-ip", ports: [{ port: 80, protocol: "XTP" }, { port: 80 }] }),
    status: 422,
    check: (r) => {
      const causes = (r.json.details as { causes: { field: string; reason: string }[] }).causes;
      expect(causes.map((c) => [c.field, c.reason])).toEqual([
        ["metadata.name", "FieldValueInvalid"],
        ["spec.ports[0].name", "FieldValueRequired"],
        ["spec.ports[0].protocol", "FieldValueNotSupported"],
        ["spec.ports[1].name", "FieldValueRequired"],
      ]);
      expect(String(r.json.message)).toMatch(/^Service "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": a DNS-1035 label/);
    },
  },
  {
    name: "02-crud §7f LoadBalancer-only fields on a ClusterIP Service",
    method: "POST",
    path: `/api/v1/namespaces/${ns}/services?dryRun=All`,
    body: svc("lb-bad", { type: "ClusterIP", externalTrafficPolicy: "Local", loadBalancerSourceRanges: ["10.0.0.0/8"], ports: [{ port: 80 }] }),
    status: 422,
    expect: {
      message: "Service \"lb-bad\" is invalid: [spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer', spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set when `type` is 'NodePort' or 'LoadBalancer']",
    },
  },
  { name: "02-crud §8 duplicate name", method: "POST", path: `/api/v1/namespaces/${ns}/services`, body: svc("lb1", { type: "LoadBalancer", ports: [{ port: 80 }] }), status: 409, expect: { message: 'services "lb1" already exists', reason: "AlreadyExists", details: { name: "lb1", kind: "services" }, code: 409 } },
  {
    name: "02-crud §9c DELETE with a mismatching uid precondition",
    method: "DELETE",
    path: `/api/v1/namespaces/${ns}/services/lb1`,
    body: { apiVersion: "v1", kind: "DeleteOptions", preconditions: { uid: "00000000-0000-0000-0000-000000000000" } },
    status: 409,
    check: (r) => expect(String(r.json.message)).toMatch(/^Operation cannot be fulfilled on Service "lb1": the UID in the precondition \(00000000-0000-0000-0000-000000000000\) does not match the UID in record \([0-9a-f-]{36}\)\. The object might have been deleted and then recreated$/),
  },
  { name: "02-crud §10a unknown resource in a served group-version", method: "POST", path: `/api/v1/namespaces/${ns}/frobnicators`, body: { apiVersion: "v1", kind: "Frobnicator", metadata: { name: "x" } }, status: 404, expect: { message: "the server could not find the requested resource", reason: "NotFound", details: {}, code: 404 } },
  { name: "02-crud §10c unknown subresource", method: "GET", path: `/api/v1/namespaces/${ns}/services/lb1/bogus`, status: 404, expect: { message: "the server could not find the requested resource", details: {} } },
  { name: "02-crud §10d list in a missing namespace", method: "GET", path: "/api/v1/namespaces/does-not-exist/services", status: 200, expect: { kind: "ServiceList", items: [] } },
  { name: "02-crud §10e create in a missing namespace", method: "POST", path: "/api/v1/namespaces/does-not-exist/services", body: svc("x", { ports: [{ port: 80 }] }), status: 404, expect: { message: 'namespaces "does-not-exist" not found', details: { name: "does-not-exist", kind: "namespaces" } } },
  { name: "03-patch §1d merge patch that is not JSON", method: "PATCH", path: `/api/v1/namespaces/${ns}/services/lb1`, body: "{", headers: { "Content-Type": "application/merge-patch+json" }, status: 400, expect: { message: "error decoding patch: unexpected end of JSON input", reason: "BadRequest" } },
  { name: "03-patch §1e PATCH with application/json is 415", method: "PATCH", path: `/api/v1/namespaces/${ns}/services/lb1`, body: {}, headers: { "Content-Type": "application/json" }, status: 415, expect: { message: "415: Unsupported Media Type", reason: "UnsupportedMediaType", details: {}, code: 415 } },
  { name: "03-patch §1b stale resourceVersion inside a merge patch", method: "PATCH", path: `/api/v1/namespaces/${ns}/services/lb1`, body: { metadata: { resourceVersion: "1" } }, headers: { "Content-Type": "application/merge-patch+json" }, status: 409, expect: { reason: "Conflict", code: 409 } },
  { name: "03-patch §2b failing test op", method: "PATCH", path: `/api/v1/namespaces/${ns}/services/lb1`, body: [{ op: "test", path: "/spec/type", value: "ClusterIP" }], headers: { "Content-Type": "application/json-patch+json" }, status: 422, expect: { message: "the server rejected our request due to an error in our request", reason: "Invalid", details: {}, code: 422 } },
  { name: "03-patch §2d JSON patch that is an object", method: "PATCH", path: `/api/v1/namespaces/${ns}/services/lb1`, body: { op: "add" }, headers: { "Content-Type": "application/json-patch+json" }, status: 400, expect: { message: "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp" } },
  { name: "03-patch §4g apply without fieldManager", method: "PATCH", path: `/api/v1/namespaces/${ns}/services/lb1`, body: "apiVersion: v1\nkind: Service\n", headers: { "Content-Type": "application/apply-patch+yaml" }, status: 422, expect: { message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', reason: "Invalid" } },
  { name: "03-patch §4h apply whose body names another object", method: "PATCH", path: `/api/v1/namespaces/${ns}/services/lb1?fieldManager=x`, body: "apiVersion: v1\nkind: Service\nmetadata:\n  name: other-name\n", headers: { "Content-Type": "application/apply-patch+yaml" }, status: 400, expect: { message: "the name of the object (other-name) does not match the name on the URL (lb1)", reason: "BadRequest" } },
  {
    name: "04-status §2h invalid ingress IP on /status",
    method: "PATCH",
    path: `/api/v1/namespaces/${ns}/services/lb1/status`,
    body: { status: { loadBalancer: { ingress: [{ ip: "300.1.1.1" }] } } },
    headers: { "Content-Type": "application/merge-patch+json" },
    status: 422,
    expect: { message: 'Service "lb1" is invalid: status.loadBalancer.ingress[0].ip: Invalid value: "300.1.1.1": must be a valid IP address', reason: "Invalid" },
  },
  { name: "05-watch §5e LIST with a future resourceVersion is 504", method: "GET", path: `/api/v1/namespaces/${ns}/services?resourceVersion=999999`, status: 504, check: (r) => expect([r.json.reason, r.headers["retry-after"], (r.json.details as { causes: unknown[] }).causes]).toEqual(["Timeout", "1", [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }]]) },
  {
    name: "09-events §1c involvedObject in another namespace",
    method: "POST",
    path: `/api/v1/namespaces/${ns}/events`,
    body: { apiVersion: "v1", kind: "Event", metadata: { name: "ev-bad" }, involvedObject: { kind: "Service", name: "lb1", namespace: "default" }, reason: "IPAllocated", message: "m", type: "Normal" },
    status: 422,
    expect: { message: 'Event "ev-bad" is invalid: involvedObject.namespace: Invalid value: "default": does not match event.namespace' },
  },
  { name: "09-events §3 unsupported event field selector", method: "GET", path: `/api/v1/namespaces/${ns}/events?fieldSelector=message%3Dx`, status: 400, expect: { message: "field label not supported: message" } },
  {
    name: "09-events §2g events.k8s.io/v1 missing reportingInstance and action",
    method: "POST",
    path: `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
    body: { apiVersion: "events.k8s.io/v1", kind: "Event", metadata: { name: "ev-bad6" }, eventTime: "2026-11-21T12:00:00.000000Z", reportingController: "lodestone.dev/speaker", reason: "AnnouncedL2", regarding: { kind: "Service", name: "lb1", namespace: ns }, type: "Normal" },
    status: 422,
    expect: { message: 'Event "ev-bad6" is invalid: [reportingInstance: Required value, action: Required value]' },
  },
  {
    name: "10-leases §1f leaseDurationSeconds 0",
    method: "POST",
    path: `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`,
    body: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "l" }, spec: { holderIdentity: "a", leaseDurationSeconds: 0 } },
    status: 422,
    expect: { message: 'Lease.coordination.k8s.io "l" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0' },
  },
  { name: "07-crd §1 create the CRD", method: "POST", path: "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", body: CRD, status: 201, expect: { status: { conditions: null, acceptedNames: { plural: "", kind: "" }, storedVersions: ["v1beta1"] }, spec: { conversion: { strategy: "None" } } } },
];

const crCases: Case[] = [
  {
    name: "07-crd §3c discovery of the CRD's group-version",
    method: "GET",
    path: "/apis/metallb.io/v1beta1",
    status: 200,
    check: (r) => {
      const res = r.json.resources as Record<string, unknown>[];
      expect(res[0]).toMatchObject({ name: "ipaddresspools", singularName: "ipaddresspool", namespaced: true, kind: "IPAddressPool", verbs: ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"] });
      expect(res[1]).toEqual({ name: "ipaddresspools/status", singularName: "", namespaced: true, kind: "IPAddressPool", verbs: ["get", "patch", "update"] });
    },
  },
  {
    name: "07-crd §4 create a pool: schema defaults, generation 1, sorted keys",
    method: "POST",
    path: POOLS,
    body: { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "pool-a" }, spec: { addresses: ["192.168.10.0/24"] }, status: { assignedIPv4: 3 } },
    status: 201,
    check: (r) => {
      expect(r.json.spec).toEqual({ addresses: ["192.168.10.0/24"], autoAssign: true, avoidBuggyIPs: false });
      expect(r.json.status).toBeUndefined();
      expect(Object.keys(r.json)).toEqual(["apiVersion", "kind", "metadata", "spec"]);
      expect((r.json.metadata as { generation: number }).generation).toBe(1);
    },
  },
  { name: "07-crd §5a spec.addresses missing", method: "POST", path: POOLS, body: { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "bad" }, spec: {} }, status: 422, expect: { message: 'IPAddressPool.metallb.io "bad" is invalid: spec.addresses: Required value', details: { name: "bad", group: "metallb.io", kind: "IPAddressPool", causes: [{ reason: "FieldValueRequired", message: "Required value", field: "spec.addresses" }] } } },
  {
    name: "07-crd §5c wrong types",
    method: "POST",
    path: POOLS,
    body: { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "bad" }, spec: { addresses: "10.0.0.0/8", autoAssign: "yes" } },
    status: 422,
    expect: { message: 'IPAddressPool.metallb.io "bad" is invalid: [spec.addresses: Invalid value: "string": spec.addresses in body must be of type array: "string", spec.autoAssign: Invalid value: "string": spec.autoAssign in body must be of type boolean: "string"]' },
  },
  { name: "07-crd §5d array item of wrong type", method: "POST", path: POOLS, body: { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "bad" }, spec: { addresses: ["10.0.0.0/8", 5] } }, status: 422, expect: { message: 'IPAddressPool.metallb.io "bad" is invalid: spec.addresses[1]: Invalid value: "integer": spec.addresses[1] in body must be of type string: "integer"' } },
  {
    name: "07-crd §5e unknown fields are pruned with warnings",
    method: "POST",
    path: `${POOLS}?dryRun=All`,
    body: { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "x" }, bogusTop: 1, spec: { addresses: ["10.0.0.0/8"], bogus: 2 } },
    status: 201,
    check: (r) => {
      expect(r.headers.warning).toBe('299 - "unknown field \\"bogusTop\\"", 299 - "unknown field \\"spec.bogus\\""');
      expect(r.json.bogusTop).toBeUndefined();
    },
  },
  {
    name: "07-crd §5f unknown fields with fieldValidation=Strict",
    method: "POST",
    path: `${POOLS}?dryRun=All&fieldValidation=Strict`,
    body: { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "x" }, bogusTop: 1, spec: { addresses: ["10.0.0.0/8"], bogus: 2 } },
    status: 400,
    expect: { message: 'IPAddressPool in version "v1beta1" cannot be handled as a IPAddressPool: strict decoding error: unknown field "bogusTop", unknown field "spec.bogus"', reason: "BadRequest" },
  },
  {
    name: "07-crd §6 Table with printer columns",
    method: "GET",
    path: POOLS,
    headers: TABLE,
    status: 200,
    check: (r) => {
      const cols = (r.json.columnDefinitions as { name: string; priority: number }[]).map((c) => [c.name, c.priority]);
      expect(cols).toEqual([["Name", 0], ["Auto Assign", 0], ["Avoid Buggy IPs", 0], ["Addresses", 0], ["Available", 10]]);
      expect((r.json.rows as { cells: unknown[] }[])[0]?.cells).toEqual(["pool-a", true, false, '["192.168.10.0/24"]', null]);
    },
  },
  { name: "07-crd §7a merge patch on /status keeps generation", method: "PATCH", path: `${POOLS}/pool-a/status`, body: { status: { assignedIPv4: 1, availableIPv4: 255 } }, headers: { "Content-Type": "application/merge-patch+json" }, status: 200, expect: { status: { assignedIPv4: 1, availableIPv4: 255 }, metadata: { generation: 1 } } },
  { name: "07-crd §7b status that violates the schema", method: "PATCH", path: `${POOLS}/pool-a/status`, body: { status: { assignedIPv4: "x" } }, headers: { "Content-Type": "application/merge-patch+json" }, status: 422, expect: { message: 'IPAddressPool.metallb.io "pool-a" is invalid: status.assignedIPv4: Invalid value: "string": status.assignedIPv4 in body must be of type integer: "string"' } },
  { name: "07-crd §7d status sent to the main resource is ignored", method: "PATCH", path: `${POOLS}/pool-a`, body: { status: { assignedIPv4: 99 } }, headers: { "Content-Type": "application/merge-patch+json" }, status: 200, expect: { status: { assignedIPv4: 1 }, metadata: { generation: 1 } } },
  { name: "07-crd §8b spec change bumps generation", method: "PATCH", path: `${POOLS}/pool-a`, body: { spec: { autoAssign: false } }, headers: { "Content-Type": "application/merge-patch+json" }, status: 200, expect: { metadata: { generation: 2 } } },
  { name: "07-crd §9a strategic merge patch on a CR is 415", method: "PATCH", path: `${POOLS}/pool-a`, body: {}, headers: { "Content-Type": "application/strategic-merge-patch+json" }, status: 415, expect: { message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml", reason: "UnsupportedMediaType" } },
];

describe("recorded kube-apiserver behaviour", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.close();
  });

  for (const c of cases) {
    it(c.name, async () => {
      const r = await srv.call(c.method, c.path, c.body, c.headers);
      expect(r.status, r.text).toBe(c.status);
      if (c.expect) expect(r.json).toMatchObject(c.expect);
      c.check?.(r);
    });
  }

  it("07-crd §2 the CRD becomes Established and its kind is served", async () => {
    const w = watchLines(srv, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions?watch=1&resourceVersion=1&fieldSelector=metadata.name%3Dipaddresspools.metallb.io", 2);
    const lines = (await w.lines).map((l) => JSON.parse(l) as { type: string; object: { status: { conditions: { type: string; status: string }[] | null } } });
    const last = lines[lines.length - 1];
    expect(last?.object.status.conditions?.map((x) => [x.type, x.status])).toEqual([
      ["NamesAccepted", "True"],
      ["Established", "True"],
    ]);
  });

  for (const c of crCases) {
    it(c.name, async () => {
      const r = await srv.call(c.method, c.path, c.body, c.headers);
      expect(r.status, r.text).toBe(c.status);
      if (c.expect) expect(r.json).toMatchObject(c.expect);
      c.check?.(r);
    });
  }

  it("03-patch §3a strategic merge of spec.ports by port: order 80, 443, 9100, 53", async () => {
    const body = svc("patchme", { ports: [{ name: "http", port: 80 }, { name: "https", port: 443 }, { name: "dns", port: 53, protocol: "UDP" }] });
    expect((await srv.call("POST", `/api/v1/namespaces/${ns}/services`, body)).status).toBe(201);
    const r = await srv.call("PATCH", `/api/v1/namespaces/${ns}/services/patchme`, { spec: { ports: [{ port: 443, targetPort: 8443 }, { name: "metrics", port: 9100 }] } }, { "Content-Type": "application/strategic-merge-patch+json" });
    expect(r.status).toBe(200);
    const ports = (r.json.spec as { ports: { port: number; name: string; targetPort: number }[] }).ports;
    expect(ports.map((p) => [p.port, p.name, p.targetPort])).toEqual([
      [80, "http", 80],
      [443, "https", 8443],
      [9100, "metrics", 9100],
      [53, "dns", 53],
    ]);
  });

  it("03-patch §4a/4d/4f server-side apply: create, conflict with another manager, force", async () => {
    const cfg = (owner: string, target: number) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ssa1\n  namespace: ${ns}\n  labels:\n    owner: "${owner}"\nspec:\n  type: LoadBalancer\n  selector:\n    app: web\n  ports:\n  - name: http\n    port: 80\n    targetPort: ${target}\n`;
    const apply = "application/apply-patch+yaml";
    const created = await srv.call("PATCH", `/api/v1/namespaces/${ns}/services/ssa1?fieldManager=x&force=true`, cfg("x", 8080), { "Content-Type": apply });
    expect(created.status).toBe(201);
    expect((created.json.metadata as { managedFields: unknown[] }).managedFields).toMatchObject([
      { manager: "x", operation: "Apply", fieldsV1: { "f:metadata": { "f:labels": { "f:owner": {} } }, "f:spec": { "f:ports": { 'k:{"port":80,"protocol":"TCP"}': { ".": {}, "f:name": {}, "f:port": {}, "f:targetPort": {} } }, "f:selector": {}, "f:type": {} } } },
    ]);
    const conflicted = await srv.call("PATCH", `/api/v1/namespaces/${ns}/services/ssa1?fieldManager=y`, cfg("y", 9090), { "Content-Type": apply });
    expect(conflicted.status).toBe(409);
    expect(conflicted.json).toMatchObject({
      message: 'Apply failed with 2 conflicts: conflicts with "x":\n- .metadata.labels.owner\n- .spec.ports[port=80,protocol="TCP"].targetPort',
      reason: "Conflict",
      details: { causes: [{ reason: "FieldManagerConflict", message: 'conflict with "x"', field: ".metadata.labels.owner" }, { reason: "FieldManagerConflict", message: 'conflict with "x"', field: '.spec.ports[port=80,protocol="TCP"].targetPort' }] },
    });
    const forced = await srv.call("PATCH", `/api/v1/namespaces/${ns}/services/ssa1?fieldManager=y&force=true`, cfg("y", 9090), { "Content-Type": apply });
    expect(forced.status).toBe(200);
    const mf = (forced.json.metadata as { managedFields: { manager: string; fieldsV1: Record<string, unknown> }[] }).managedFields;
    expect(mf.map((e) => e.manager)).toEqual(["x", "y"]);
    expect(JSON.stringify(mf[0]?.fieldsV1)).not.toContain("f:owner");
  });

  it("03-patch §4d-bis an unquoted YAML y label value is a 500", async () => {
    const r = await srv.call("PATCH", `/api/v1/namespaces/${ns}/services/ssa1?fieldManager=y`, "apiVersion: v1\nkind: Service\nmetadata:\n  name: ssa1\n  labels:\n    owner: y\n", { "Content-Type": "application/apply-patch+yaml" });
    expect(r.status).toBe(500);
    expect(r.json.message).toBe("failed to create typed patch object (rec/ssa1; /v1, Kind=Service): .metadata.labels.owner: expected string, got &value.valueUnstructured{Value:true}");
  });

  it("02-crud §3f/3g pagination with limit and continue visits every object once", async () => {
    const all = ((await srv.call("GET", "/api/v1/services")).json.items as { metadata: { name: string; namespace: string } }[]).map((i) => `${i.metadata.namespace}/${i.metadata.name}`);
    const first = await srv.call("GET", "/api/v1/services?limit=2");
    expect((first.json.metadata as { remainingItemCount: number }).remainingItemCount).toBe(all.length - 2);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await srv.call("GET", `/api/v1/services?limit=2${token ? `&continue=${token}` : ""}`);
      const items = page.json.items as { metadata: { name: string; namespace: string } }[];
      expect(items.length).toBeLessThanOrEqual(2);
      seen.push(...items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`));
      token = (page.json.metadata as { continue?: string }).continue;
    } while (token);
    expect(seen).toEqual(all);
  });

  it("02-crud §3f a label-selected paged list visits each match once and ends on the page of the last match", async () => {
    for (const [i, tier] of ["a", "b", "a", "b", "b", "a", "b", "b"].entries()) {
      await srv.call("POST", `/api/v1/namespaces/${ns}/services`, svc(`page${i}`, { ports: [{ port: 80 }] }, { labels: { tier } }));
    }
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await srv.call("GET", `/api/v1/namespaces/${ns}/services?labelSelector=tier%3Da&limit=2${token ? `&continue=${token}` : ""}`);
      expect(page.status).toBe(200);
      pages.push((page.json.items as { metadata: { name: string } }[]).map((i) => i.metadata.name));
      expect((page.json.metadata as { remainingItemCount?: number }).remainingItemCount).toBeUndefined();
      token = (page.json.metadata as { continue?: string }).continue;
    } while (token);
    expect(pages).toEqual([["page0", "page2"], ["page5"]]);
    const exact = await srv.call("GET", `/api/v1/namespaces/${ns}/services?labelSelector=tier%3Da&limit=3`);
    expect((exact.json.items as unknown[]).length).toBe(3);
    expect((exact.json.metadata as { continue?: string }).continue).toBeUndefined();
    for (let i = 0; i < 8; i++) await srv.call("DELETE", `/api/v1/namespaces/${ns}/services/page${i}`);
  });

  it("05-watch §2 ADDED, MODIFIED (label and /status), DELETED with kind/apiVersion on each object", async () => {
    const rv = (((await srv.call("GET", `/api/v1/namespaces/${ns}/services`)).json.metadata as { resourceVersion: string }).resourceVersion);
    const w = watchLines(srv, `/api/v1/namespaces/${ns}/services?watch=1&resourceVersion=${rv}&fieldSelector=metadata.name%3Dw1`, 4);
    await srv.call("POST", `/api/v1/namespaces/${ns}/services`, svc("w1", { ports: [{ port: 80 }] }));
    await srv.call("PATCH", `/api/v1/namespaces/${ns}/services/w1`, { metadata: { labels: { step: "2" } } }, { "Content-Type": "application/merge-patch+json" });
    await srv.call("PATCH", `/api/v1/namespaces/${ns}/services/w1/status`, { status: { loadBalancer: { ingress: [{ ip: "192.0.2.10" }] } } }, { "Content-Type": "application/merge-patch+json" });
    const del = await srv.call("DELETE", `/api/v1/namespaces/${ns}/services/w1`);
    const events = (await w.lines).map((l) => JSON.parse(l) as { type: string; object: { kind: string; metadata: { resourceVersion: string } } });
    expect(events.map((e) => [e.type, e.object.kind])).toEqual([
      ["ADDED", "Service"],
      ["MODIFIED", "Service"],
      ["MODIFIED", "Service"],
      ["DELETED", "Service"],
    ]);
    expect(Number(events[3]?.object.metadata.resourceVersion)).toBeGreaterThan(Number((del.json.metadata as { resourceVersion: string }).resourceVersion));
  });

  it("06-table §6 Table watch: only the first event carries columnDefinitions", async () => {
    const rv = (((await srv.call("GET", `/api/v1/namespaces/${ns}/services`)).json.metadata as { resourceVersion: string }).resourceVersion);
    const w = watchLines(srv, `/api/v1/namespaces/${ns}/services?watch=1&resourceVersion=${rv}&fieldSelector=metadata.name%3Dlb1`, 2, TABLE);
    await srv.call("PATCH", `/api/v1/namespaces/${ns}/services/lb1/status`, { status: { loadBalancer: { ingress: [{ ip: "192.168.10.9" }] } } }, { "Content-Type": "application/merge-patch+json" });
    await srv.call("PATCH", `/api/v1/namespaces/${ns}/services/lb1`, { metadata: { labels: { more: "x" } } }, { "Content-Type": "application/merge-patch+json" });
    const events = (await w.lines).map((l) => JSON.parse(l) as { type: string; object: { kind: string; columnDefinitions: unknown[] | null; rows: { cells: unknown[] }[] } });
    expect(events[0]?.object.kind).toBe("Table");
    expect(events[0]?.object.columnDefinitions?.length).toBe(7);
    expect(events[1]?.object.columnDefinitions).toBeNull();
    expect(events[0]?.object.rows[0]?.cells.slice(0, 4)).toEqual(["lb1", "LoadBalancer", expect.stringMatching(/^10\.96\./), "192.168.10.9"]);
  });

  it("09-events §4 finalizers: DELETE marks, new finalizers are forbidden, removing the last one deletes", async () => {
    await srv.call("POST", `/api/v1/namespaces/${ns}/services`, svc("fin-svc", { ports: [{ port: 80 }] }, { finalizers: ["lodestone.dev/ip-release"] }));
    const del = await srv.call("DELETE", `/api/v1/namespaces/${ns}/services/fin-svc`);
    expect(del.status).toBe(200);
    expect(del.json.metadata).toMatchObject({ deletionGracePeriodSeconds: 0, finalizers: ["lodestone.dev/ip-release"] });
    const add = await srv.call("PATCH", `/api/v1/namespaces/${ns}/services/fin-svc`, { metadata: { finalizers: ["lodestone.dev/ip-release", "other.dev/new"] } }, { "Content-Type": "application/merge-patch+json" });
    expect(add.status).toBe(422);
    expect(add.json.message).toBe('Service "fin-svc" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"other.dev/new"}');
    expect((add.json.details as { causes: unknown[] }).causes.length).toBe(2);
    const done = await srv.call("PATCH", `/api/v1/namespaces/${ns}/services/fin-svc`, { metadata: { finalizers: null } }, { "Content-Type": "application/merge-patch+json" });
    expect(done.status).toBe(200);
    expect((await srv.call("GET", `/api/v1/namespaces/${ns}/services/fin-svc`)).status).toBe(404);
  });

  it("09-events §5 namespace deletion: Terminating, no new content, gone once empty", async () => {
    await srv.call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "rec-term" } });
    await srv.call("POST", "/api/v1/namespaces/rec-term/services", svc("keep", { ports: [{ port: 80 }] }, { finalizers: ["lodestone.dev/ip-release"] }));
    const del = await srv.call("DELETE", "/api/v1/namespaces/rec-term");
    expect(del.json).toMatchObject({ status: { phase: "Terminating" }, spec: { finalizers: ["kubernetes"] } });
    const cm = await srv.call("POST", "/api/v1/namespaces/rec-term/configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "new" } });
    expect(cm.status).toBe(403);
    expect(cm.json).toMatchObject({ message: 'configmaps "new" is forbidden: unable to create new content in namespace rec-term because it is being terminated', reason: "Forbidden", details: { causes: [{ reason: "NamespaceTerminating" }] } });
    const rv = (((await srv.call("GET", "/api/v1/namespaces")).json.metadata as { resourceVersion: string }).resourceVersion);
    const w = watchLines(srv, `/api/v1/namespaces?watch=1&resourceVersion=${rv}&fieldSelector=metadata.name%3Drec-term`, 1);
    await srv.call("PATCH", "/api/v1/namespaces/rec-term/services/keep", { metadata: { finalizers: null } }, { "Content-Type": "application/merge-patch+json" });
    expect((await w.lines).map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(["DELETED"]);
  });
});

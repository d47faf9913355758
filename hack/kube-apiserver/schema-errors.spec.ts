/**
 * The local API server's schema errors for metallb.io objects, as a real kube-apiserver v1.24.0 gave them
 * (recordings/11-schema-errors.md): map keys dotted into the field path, `format: date-time` checked.
 * Driven through the real kubectl (/usr/bin/kubectl) so the text compared is the text a user reads.
 */
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crdFor } from "../../crds/index";
import { startTestServer, type TestServer } from "./testkit";

let srv: TestServer;

function kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile("kubectl", args, { env: { ...process.env, KUBECONFIG: srv.kubeconfig, HOME: srv.dir }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

const PATH_A = "spec.serviceAllocation.namespaceSelectors[0].matchLabels";

describe("schema errors of the local API server (recordings/11-schema-errors.md)", () => {
  beforeAll(async () => {
    srv = await startTestServer();
    for (const kind of ["IPAddressPool", "ConfigurationState"]) {
      const r = await srv.call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crdFor(kind));
      expect(r.status, r.text).toBe(201);
    }
  });
  afterAll(async () => {
    await srv.close();
  });

  it("1: dots map keys into the field path, whatever characters they hold", async () => {
    const pool = {
      apiVersion: "metallb.io/v1beta1",
      kind: "IPAddressPool",
      metadata: { name: "badmap", namespace: "default" },
      spec: { addresses: ["192.0.2.0/28"], serviceAllocation: { namespaceSelectors: [{ matchLabels: { "app.kubernetes.io/name": 5, plain: [1] } }] } },
    };
    const r = await kubectl(["create", "--validate=false", "-f", "-"], JSON.stringify(pool));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'The IPAddressPool "badmap" is invalid: \n' +
        `* ${PATH_A}.app.kubernetes.io/name: Invalid value: "integer": ${PATH_A}.app.kubernetes.io/name in body must be of type string: "integer"\n` +
        `* ${PATH_A}.plain: Invalid value: "array": ${PATH_A}.plain in body must be of type string: "array"\n`,
    );
    const api = await srv.call("POST", "/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools", pool);
    expect(api.status).toBe(422);
    expect((api.json.details as { causes: unknown }).causes).toEqual([
      { reason: "FieldValueTypeInvalid", message: `Invalid value: "integer": ${PATH_A}.app.kubernetes.io/name in body must be of type string: "integer"`, field: `${PATH_A}.app.kubernetes.io/name` },
      { reason: "FieldValueTypeInvalid", message: `Invalid value: "array": ${PATH_A}.plain in body must be of type string: "array"`, field: `${PATH_A}.plain` },
    ]);
  });

  it("2: refuses a status condition whose lastTransitionTime is not an RFC 3339 date-time", async () => {
    const state = { apiVersion: "metallb.io/v1beta1", kind: "ConfigurationState", metadata: { name: "controller", namespace: "default" } };
    expect((await kubectl(["create", "-f", "-"], JSON.stringify(state))).code).toBe(0);
    const condition = (lastTransitionTime: string) =>
      JSON.stringify({ status: { result: "Valid", conditions: [{ type: "configReconcilerValid", status: "True", reason: "Reconciled", message: "", lastTransitionTime }] } });
    const bad = await kubectl(["patch", "configurationstate", "controller", "-n", "default", "--subresource=status", "--type=merge", "-p", condition("yesterday")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'The ConfigurationState "controller" is invalid: status.conditions[0].lastTransitionTime: Invalid value: "yesterday": status.conditions[0].lastTransitionTime in body must be of type date-time: "yesterday"\n',
    );
    const good = await kubectl(["patch", "configurationstate", "controller", "-n", "default", "--subresource=status", "--type=merge", "-p", condition("2026-12-06T04:00:00Z")]);
    expect(good).toMatchObject({ code: 0, stdout: "configurationstate.metallb.io/controller patched\n" });
  });
});

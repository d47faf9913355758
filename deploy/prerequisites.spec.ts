import { describe, expect, it } from "vitest";
import { heartbeatKeysFromSecret } from "../protocols/l2/heartbeat-keys";
import { ApiError } from "../kube/controller-port";
import type { Manifest, ManifestRef } from "./deploy-port";
import { ensureSpeakerSecrets, prepare } from "./prerequisites";
import { installerCommands } from "./rbac";
import { RecordingDeployPort } from "../test/deploy/testing";

const KEY = Buffer.alloc(32, 0xab);
const SECRET = "/api/v1/namespaces/metallb-system/secrets/memberlist";

describe("prepare (what the installer creates once)", () => {
  it("creates the namespace, a heartbeat Secret the speakers accept, and their Secret access, in that order", async () => {
    const port = new RecordingDeployPort();
    const r = await prepare(port, "metallb-system", () => KEY);
    expect(port.calls).toEqual([
      "APPLY /api/v1/namespaces/metallb-system",
      "APPLY /apis/rbac.authorization.k8s.io/v1/namespaces/metallb-system/roles/lodestone-controller",
      "APPLY /apis/rbac.authorization.k8s.io/v1/namespaces/metallb-system/rolebindings/lodestone-controller",
      `GET ${SECRET}`,
      `CREATE ${SECRET}`,
      "CREATE /apis/rbac.authorization.k8s.io/v1/namespaces/metallb-system/roles/lodestone-speaker-secrets",
      "GET /apis/rbac.authorization.k8s.io/v1/namespaces/metallb-system/rolebindings/lodestone-speaker-secrets",
      "CREATE /apis/rbac.authorization.k8s.io/v1/namespaces/metallb-system/rolebindings/lodestone-speaker-secrets",
    ]);
    expect(r).toEqual({
      lines: [
        "namespace/metallb-system applied",
        "role.rbac.authorization.k8s.io/lodestone-controller applied",
        "rolebinding.rbac.authorization.k8s.io/lodestone-controller applied",
        "secret/memberlist created (heartbeat key: 32 random bytes; kept from now on, never rotated by lodestone)",
        "role.rbac.authorization.k8s.io/lodestone-speaker-secrets created",
        "rolebinding.rbac.authorization.k8s.io/lodestone-speaker-secrets created",
      ],
    });
    const secret = port.objects.get(SECRET) as { data: Record<string, string>; type: string };
    expect(secret.type).toBe("Opaque");
    // What `--from-literal=secretkey="$(openssl rand -hex 32)"` stores: 64 hex digits, base64 in data.
    expect(Buffer.from(secret.data["secretkey"] ?? "", "base64").toString()).toBe("ab".repeat(32));
    expect(heartbeatKeysFromSecret(secret)).toEqual({ ok: true, keys: [Buffer.from("ab".repeat(32))] });
  });

  it("grants exactly what the documented kubectl commands grant", async () => {
    const port = new RecordingDeployPort();
    await prepare(port, "lb", () => KEY);
    expect(installerCommands("lb").slice(2)).toEqual([
      "kubectl -n lb create role lodestone-controller --verb=create,patch --resource=daemonsets.apps,serviceaccounts,roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io --resource-name=lodestone-speaker",
      "kubectl -n lb create rolebinding lodestone-controller --role=lodestone-controller --serviceaccount=pepr-system:pepr-lodestone",
      "kubectl -n lb create role lodestone-speaker-secrets --verb=list,watch --resource=secrets --resource-name=memberlist",
      "kubectl -n lb create rolebinding lodestone-speaker-secrets --role=lodestone-speaker-secrets --serviceaccount=lb:lodestone-speaker",
    ]);
    expect(port.objects.get("/apis/rbac.authorization.k8s.io/v1/namespaces/lb/roles/lodestone-speaker-secrets")).toMatchObject({ rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list", "watch"], resourceNames: ["memberlist"] }] });
    expect(port.objects.get("/apis/rbac.authorization.k8s.io/v1/namespaces/lb/rolebindings/lodestone-controller")).toMatchObject({
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "lodestone-controller" },
      subjects: [{ kind: "ServiceAccount", name: "pepr-lodestone", namespace: "pepr-system" }],
    });
    expect(port.objects.get("/apis/rbac.authorization.k8s.io/v1/namespaces/lb/rolebindings/lodestone-speaker-secrets")).toMatchObject({
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "lodestone-speaker-secrets" },
      subjects: [{ kind: "ServiceAccount", name: "lodestone-speaker", namespace: "lb" }],
    });
  });

  it("never rotates the key: a second run keeps the Secret it created", async () => {
    const port = new RecordingDeployPort();
    await prepare(port, "metallb-system", () => KEY);
    const first = structuredClone(port.objects.get(SECRET));
    const again = await prepare(port, "metallb-system", () => Buffer.alloc(32, 0x01));
    expect(port.objects.get(SECRET)).toEqual(first);
    expect(again.lines[3]).toBe("secret/memberlist kept (it exists: its key is reused, not rotated)");
    expect(port.calls.filter(c => c === `CREATE ${SECRET}`)).toHaveLength(1);
  });

  it("keeps the passwordSecret names an admin added to the speakers' Role (creates, never applies)", async () => {
    const port = new RecordingDeployPort();
    await prepare(port, "lb", () => KEY);
    const role = "/apis/rbac.authorization.k8s.io/v1/namespaces/lb/roles/lodestone-speaker-secrets";
    const granted = port.objects.get(role) as { rules: { resourceNames: string[] }[] };
    granted.rules[0]!.resourceNames.push("bgp-password");
    const again = await ensureSpeakerSecrets(port, "lb", () => KEY);
    expect((port.objects.get(role) as { rules: { resourceNames: string[] }[] }).rules[0]!.resourceNames).toEqual(["memberlist", "bgp-password"]);
    expect(again.lines.slice(1)).toEqual(["role.rbac.authorization.k8s.io/lodestone-speaker-secrets kept (it exists)", "rolebinding.rbac.authorization.k8s.io/lodestone-speaker-secrets kept (it exists)"]);
  });

  it("keeps a Secret someone else created between its read and its create", async () => {
    const port = new RecordingDeployPort();
    const theirs = { apiVersion: "v1", kind: "Secret", metadata: { name: "memberlist", namespace: "lb" }, data: { secretkey: Buffer.from("c".repeat(64)).toString("base64") } };
    const get = port.get.bind(port);
    let first = true;
    port.get = async ref => {
      const found = await get(ref);
      if (ref.kind === "Secret" && first) {
        first = false;
        port.objects.set("/api/v1/namespaces/lb/secrets/memberlist", structuredClone(theirs));
      }
      return found;
    };
    const r = await ensureSpeakerSecrets(port, "lb", () => KEY);
    expect(port.objects.get("/api/v1/namespaces/lb/secrets/memberlist")).toEqual(theirs);
    expect(r.lines[0]).toBe("secret/memberlist kept (it exists: its key is reused, not rotated)");
  });

  it("reuses MetalLB's memberlist Secret as it is", async () => {
    const port = new RecordingDeployPort();
    const metallb = { apiVersion: "v1", kind: "Secret", metadata: { name: "memberlist", namespace: "metallb-system" }, data: { secretkey: Buffer.from("x".repeat(128)).toString("base64") } };
    port.objects.set(SECRET, structuredClone(metallb));
    const r = await prepare(port, "metallb-system", () => KEY);
    expect(port.objects.get(SECRET)).toEqual(metallb);
    expect(r.secretProblem).toBeUndefined();
  });

  it("names an existing Secret the speakers would refuse, and leaves it alone", async () => {
    const port = new RecordingDeployPort();
    port.objects.set(SECRET, { apiVersion: "v1", kind: "Secret", metadata: { name: "memberlist", namespace: "metallb-system" }, data: { other: "eA==" } });
    const r = await prepare(port, "metallb-system", () => KEY);
    expect(r.lines[3]).toBe("secret/memberlist kept (it exists: unusable, see below)");
    expect(r.secretProblem).toBe("Secret metallb-system/memberlist: Secret has no data.secretkey: the speakers will not start; delete it and run this again to create a new one");
    expect(port.calls.filter(c => c.endsWith(SECRET) && !c.startsWith("GET"))).toEqual([]);
  });
});

const ROLE = "/apis/rbac.authorization.k8s.io/v1/namespaces/metallb-system/roles/lodestone-speaker-secrets";
const BINDING = "/apis/rbac.authorization.k8s.io/v1/namespaces/metallb-system/rolebindings/lodestone-speaker-secrets";

/**
 * The API server's RBAC as the controller meets it: creating a RoleBinding whose Role grants a Secret name the
 * controller does not hold (it holds memberlist) is refused before the store is asked whether it exists
 * (pkg/registry/rbac/rolebinding/policybased/storage.go); reading a RoleBinding needs the get the controller's
 * Role grants since this change (`canGetBindings: false`: one made before).
 */
class RbacCheckingPort extends RecordingDeployPort {
  constructor(readonly canGetBindings: boolean) {
    super();
  }
  override async create(m: Manifest): Promise<boolean> {
    if (m.kind === "RoleBinding") {
      const role = this.objects.get(ROLE) as { rules: { resourceNames?: string[] }[] } | undefined;
      const names = role?.rules.flatMap(r => r.resourceNames ?? ["*"]) ?? [];
      if (names.some(n => n !== "memberlist")) {
        this.calls.push(`CREATE ${BINDING} refused`);
        throw new ApiError(403, `POST /apis/rbac.authorization.k8s.io/v1/namespaces/metallb-system/rolebindings (Forbidden): rolebindings.rbac.authorization.k8s.io "lodestone-speaker-secrets" is forbidden: user "system:serviceaccount:pepr-system:pepr-lodestone" is attempting to grant RBAC permissions not currently held`);
      }
    }
    return super.create(m);
  }
  override async get(ref: ManifestRef): Promise<Record<string, unknown> | undefined> {
    if (ref.kind === "RoleBinding" && !this.canGetBindings) {
      this.calls.push(`GET ${BINDING} refused`);
      throw new ApiError(403, "GET (Forbidden): cannot get resource rolebindings");
    }
    return super.get(ref);
  }
}

describe("the watcher's ensureSpeakerSecrets once an admin has granted the speakers a passwordSecret", () => {
  const installed = async (canGetBindings: boolean) => {
    const port = new RbacCheckingPort(canGetBindings);
    await ensureSpeakerSecrets(port, "metallb-system", () => KEY);
    // rbac.ts passwordSecretGrant: the Role now names a Secret the controller cannot read.
    (port.objects.get(ROLE) as { rules: { resourceNames: string[] }[] }).rules[0]!.resourceNames.push("bgp-password");
    port.calls.length = 0;
    return port;
  };

  it("reads the existing RoleBinding and keeps it, with no refused create to log", async () => {
    const port = await installed(true);
    const r = await ensureSpeakerSecrets(port, "metallb-system", () => KEY);
    expect(r.lines.slice(-2)).toEqual(["role.rbac.authorization.k8s.io/lodestone-speaker-secrets kept (it exists)", "rolebinding.rbac.authorization.k8s.io/lodestone-speaker-secrets kept (it exists)"]);
    expect(port.calls.filter(c => c.includes("rolebindings"))).toEqual([`GET ${BINDING}`]);
  });

  it("without the read (a controller Role made before it), creates as before: the refusal is the caller's to report", async () => {
    const port = await installed(false);
    await expect(ensureSpeakerSecrets(port, "metallb-system", () => KEY)).rejects.toThrow(/is attempting to grant RBAC permissions not currently held/);
    expect(port.calls.filter(c => c.includes("rolebindings"))).toEqual([`GET ${BINDING} refused`, `CREATE ${BINDING} refused`]);
  });

  it("still creates a missing RoleBinding", async () => {
    const port = new RbacCheckingPort(true);
    const r = await ensureSpeakerSecrets(port, "metallb-system", () => KEY);
    expect(r.lines.at(-1)).toBe("rolebinding.rbac.authorization.k8s.io/lodestone-speaker-secrets created");
  });
});

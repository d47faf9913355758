import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./testkit";

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
  srv.addUser("prom-token", { username: "system:serviceaccount:monitoring:prometheus", uid: "prom-uid", groups: ["system:serviceaccounts", "system:authenticated"] });
  srv.allowNonResource("system:serviceaccount:monitoring:prometheus", "get", "/metrics");
});
afterAll(() => srv.stop());

const tokenReview = (token: string) => ({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } });
const sar = (spec: Record<string, unknown>) => ({ apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec });

describe("TokenReview", () => {
  it("authenticates a known token with its user, echoing the spec (201)", async () => {
    const r = await srv.call("POST", "/apis/authentication.k8s.io/v1/tokenreviews", tokenReview("prom-token"));
    expect(r.status).toBe(201);
    expect(r.json).toEqual({
      kind: "TokenReview",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { creationTimestamp: null },
      spec: { token: "prom-token" },
      status: { authenticated: true, user: { username: "system:serviceaccount:monitoring:prometheus", uid: "prom-uid", groups: ["system:serviceaccounts", "system:authenticated"] } },
    });
  });

  it("answers an unknown token with an empty user and no authenticated field", async () => {
    const r = await srv.call("POST", "/apis/authentication.k8s.io/v1/tokenreviews", tokenReview("nope"));
    expect(r.status).toBe(201);
    expect((r.json as { status: unknown }).status).toEqual({ user: {}, error: "[invalid bearer token, token lookup failed]" });
  });
});

describe("SubjectAccessReview", () => {
  it("allows a granted non-resource path and refuses another verb or path", async () => {
    const user = { user: "system:serviceaccount:monitoring:prometheus", groups: ["system:serviceaccounts"] };
    const allowed = await srv.call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar({ ...user, nonResourceAttributes: { path: "/metrics", verb: "get" } }));
    expect(allowed.status).toBe(201);
    expect((allowed.json as { status: unknown }).status).toEqual({ allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding for User "system:serviceaccount:monitoring:prometheus"' });
    for (const attrs of [{ path: "/metrics", verb: "post" }, { path: "/debug", verb: "get" }]) {
      const r = await srv.call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar({ ...user, nonResourceAttributes: attrs }));
      expect((r.json as { status: unknown }).status).toEqual({ allowed: false });
    }
  });

  it("allows system:masters everything", async () => {
    const r = await srv.call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar({ user: "admin-token", groups: ["system:masters"], nonResourceAttributes: { path: "/metrics", verb: "get" } }));
    expect((r.json as { status: unknown }).status).toEqual({ allowed: true });
  });

  it("refuses a review without user and groups, as the real server does (422)", async () => {
    const r = await srv.call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar({ nonResourceAttributes: { path: "/metrics", verb: "get" } }));
    expect(r.status).toBe(422);
    expect((r.json as { message: string }).message).toContain("at least one of user or group must be specified");
  });
});

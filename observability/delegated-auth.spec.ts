import { describe, expect, it } from "vitest";
import type { ApiRequest } from "../kube/kfc-api";
import { delegatedAuthorizer, SUBJECT_ACCESS_REVIEWS, TOKEN_REVIEWS } from "./delegated-auth";

/** A recording API: tokens -> users, users allowed /metrics; `down` makes every call fail. */
function fakeApi(opts: { down?: boolean } = {}) {
  const calls: { path: string; body: unknown }[] = [];
  const request = (async (_method: string, path: string, _type?: string, body?: unknown) => {
    calls.push({ path, body });
    if (opts.down) throw new Error("connect ECONNREFUSED");
    const spec = (body as { spec: Record<string, unknown> }).spec;
    if (path === TOKEN_REVIEWS) return spec.token === "good" || spec.token === "nosy" ? { status: { authenticated: true, user: { username: spec.token, uid: "u", groups: ["g"] } } } : { status: { user: {} } };
    return { status: { allowed: spec.user === "good" } };
  }) as ApiRequest;
  return { request, calls };
}

describe("delegatedAuthorizer", () => {
  it("sends the token to a TokenReview and its user to a SubjectAccessReview for get /metrics", async () => {
    const api = fakeApi();
    const auth = delegatedAuthorizer(api.request);
    expect(await auth.check("Bearer good")).toEqual({ allowed: true, user: "good" });
    expect(api.calls).toEqual([
      { path: TOKEN_REVIEWS, body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token: "good" } } },
      { path: SUBJECT_ACCESS_REVIEWS, body: { apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec: { user: "good", uid: "u", groups: ["g"], nonResourceAttributes: { path: "/metrics", verb: "get" } } } },
    ]);
  });

  it.each([
    [undefined, 401, "Unauthorized"],
    ["Basic Zm9vOmJhcg==", 401, "Unauthorized"],
    ["Bearer ", 401, "Unauthorized"],
    ["Bearer forged", 401, "Unauthorized"],
    ["Bearer nosy", 403, "Forbidden (user=nosy, verb=get, path=/metrics)"],
  ])("refuses %j with %i", async (header, status, message) => {
    expect(await delegatedAuthorizer(fakeApi().request).check(header)).toEqual({ allowed: false, status, message });
  });

  it("caches a decision per token for cacheMs, then asks again", async () => {
    const api = fakeApi();
    let t = 0;
    const auth = delegatedAuthorizer(api.request, { cacheMs: 1000, now: () => t });
    await auth.check("Bearer good");
    await auth.check("Bearer good");
    await auth.check("Bearer nosy");
    expect(api.calls).toHaveLength(4);
    t = 1001;
    await auth.check("Bearer good");
    expect(api.calls).toHaveLength(6);
  });

  it("answers 503 when the API server cannot be asked, and does not cache that", async () => {
    const api = fakeApi({ down: true });
    const auth = delegatedAuthorizer(api.request);
    expect(await auth.check("Bearer good")).toEqual({ allowed: false, status: 503, message: "cannot check access with the API server: connect ECONNREFUSED" });
    await auth.check("Bearer good");
    expect(api.calls).toHaveLength(2);
  });
});

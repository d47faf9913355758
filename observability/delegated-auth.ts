/**
 * Who may read the metrics, decided by the API server, as kube-rbac-proxy does
 * (https://github.com/brancz/kube-rbac-proxy): the client's bearer token goes to a TokenReview;
 * the user it names goes to a SubjectAccessReview for `get` on the non-resource path `/metrics`.
 * So a Prometheus ServiceAccount needs a ClusterRole with `nonResourceURLs: ["/metrics"], verbs: ["get"]`.
 *
 * Decisions are cached per token for a few seconds (a scrape every 15 s costs two API calls a
 * minute at most, not two per scrape); failures to ask are not cached.
 */
import { createHash } from "node:crypto";
import type { ApiRequest } from "../kube/api-request";

export type AccessDecision = { allowed: true; user: string } | { allowed: false; status: 401 | 403 | 503; message: string };

export interface MetricsAuthorizer {
  check(authorization: string | undefined): Promise<AccessDecision>;
}

interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface DelegatedAuthOptions {
  path?: string;
  cacheMs?: number;
  now?: () => number;
}

export const TOKEN_REVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews";
export const SUBJECT_ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

export function delegatedAuthorizer(request: ApiRequest, opts: DelegatedAuthOptions = {}): MetricsAuthorizer {
  const path = opts.path ?? "/metrics";
  const cacheMs = opts.cacheMs ?? 10_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { until: number; decision: AccessDecision }>();

  async function decide(token: string): Promise<AccessDecision> {
    const review = await request<{ status?: { authenticated?: boolean; user?: UserInfo } }>("POST", TOKEN_REVIEWS, "application/json", {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      spec: { token },
    });
    const user = review.status?.user;
    if (!review.status?.authenticated || !user?.username) return { allowed: false, status: 401, message: "Unauthorized" };
    const access = await request<{ status?: { allowed?: boolean } }>("POST", SUBJECT_ACCESS_REVIEWS, "application/json", {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user: user.username,
        ...(user.uid ? { uid: user.uid } : {}),
        ...(user.groups ? { groups: user.groups } : {}),
        ...(user.extra ? { extra: user.extra } : {}),
        nonResourceAttributes: { path, verb: "get" },
      },
    });
    if (access.status?.allowed !== true) return { allowed: false, status: 403, message: `Forbidden (user=${user.username}, verb=get, path=${path})` };
    return { allowed: true, user: user.username };
  }

  return {
    async check(authorization) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
      if (!match?.[1]) return { allowed: false, status: 401, message: "Unauthorized" };
      // Keyed by a hash: the cache never holds a token in clear.
      const key = createHash("sha256").update(match[1]).digest("hex");
      const hit = cache.get(key);
      if (hit && hit.until > now()) return hit.decision;
      let decision: AccessDecision;
      try {
        decision = await decide(match[1]);
      } catch (e) {
        return { allowed: false, status: 503, message: `cannot check access with the API server: ${e instanceof Error ? e.message : String(e)}` };
      }
      if (cache.size > 1000) cache.clear();
      cache.set(key, { until: now() + cacheMs, decision });
      return decision;
    },
  };
}

/**
 * TokenReview (authentication.k8s.io/v1) and SubjectAccessReview (authorization.k8s.io/v1): the two
 * create-only reviews a delegating authorizer (kube-rbac-proxy, Lodestone's secure metrics) sends.
 * Shapes as the real server answers (https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-review-v1/,
 * https://kubernetes.io/docs/reference/kubernetes-api/authorization-resources/subject-access-review-v1/):
 * 201 with the request's spec echoed and a status; nothing is stored.
 *
 * This harness has no RBAC. The admin token is user `admin-token` in `system:masters` (allowed
 * everything); tests add other users by token and allow them non-resource paths one by one.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, sendJson } from "./http";
import { isObject } from "./json";
import { badRequest, invalid, type Json, type JsonObject } from "./status";

export interface UserInfo {
  username: string;
  uid: string;
  groups: string[];
}

export const TOKEN_REVIEW_PATH = "/apis/authentication.k8s.io/v1/tokenreviews";
export const SUBJECT_ACCESS_REVIEW_PATH = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

export class Reviews {
  private readonly users = new Map<string, UserInfo>();
  /** `username verb path` allowed (non-resource URLs). */
  private readonly allowed = new Set<string>();

  constructor(adminToken: string) {
    this.users.set(adminToken, { username: "admin-token", uid: "admin-token-uid", groups: ["system:masters", "system:authenticated"] });
  }

  addUser(token: string, user: UserInfo): void {
    this.users.set(token, user);
  }

  allowNonResource(username: string, verb: string, path: string): void {
    this.allowed.add(`${username} ${verb} ${path}`);
  }

  handles(method: string, path: string): boolean {
    return method === "POST" && (path === TOKEN_REVIEW_PATH || path === SUBJECT_ACCESS_REVIEW_PATH);
  }

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    let body: Json;
    try {
      body = JSON.parse((await readBody(req)).toString("utf8")) as Json;
    } catch {
      throw badRequest("the request body is not valid JSON");
    }
    if (!isObject(body)) throw badRequest("the request body is not an object");
    const spec = isObject(body.spec) ? body.spec : {};
    if (path === TOKEN_REVIEW_PATH) return sendJson(res, 201, { kind: "TokenReview", apiVersion: "authentication.k8s.io/v1", metadata: { creationTimestamp: null }, spec, status: this.tokenReview(spec) });
    return sendJson(res, 201, { kind: "SubjectAccessReview", apiVersion: "authorization.k8s.io/v1", metadata: { creationTimestamp: null }, spec, status: this.accessReview(spec) });
  }

  private tokenReview(spec: JsonObject): JsonObject {
    const user = typeof spec.token === "string" ? this.users.get(spec.token) : undefined;
    // An unknown token: authenticated is omitted (false) and user is empty, as the real server answers.
    if (!user) return { user: {}, error: "[invalid bearer token, token lookup failed]" };
    return { authenticated: true, user: { username: user.username, uid: user.uid, groups: user.groups } };
  }

  private accessReview(spec: JsonObject): JsonObject {
    const user = typeof spec.user === "string" ? spec.user : "";
    const groups = Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === "string") : [];
    const nonResource = isObject(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
    const resource = isObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
    if (!user && groups.length === 0) {
      throw invalid("SubjectAccessReview", "", [{ reason: "FieldValueRequired", message: "Required value: at least one of user or group must be specified", field: "spec.user" }], "authorization.k8s.io");
    }
    if ((nonResource === undefined) === (resource === undefined)) {
      throw invalid("SubjectAccessReview", "", [{ reason: "FieldValueInvalid", message: "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified", field: "spec.resourceAttributes" }], "authorization.k8s.io");
    }
    if (groups.includes("system:masters")) return { allowed: true };
    if (nonResource && this.allowed.has(`${user} ${String(nonResource.verb)} ${String(nonResource.path)}`)) {
      return { allowed: true, reason: `RBAC: allowed by ClusterRoleBinding for User "${user}"` };
    }
    return { allowed: false };
  }
}

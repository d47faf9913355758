/**
 * DeployPort on kubernetes-fluent-client's connection settings (kubeconfig, or the in-cluster
 * ServiceAccount). KFC's own Apply always sends `fieldManager=pepr`; Lodestone's objects are applied
 * under `lodestone`, so the requests are built here with KFC's credentials and fetch.
 */
import { fetch } from "kubernetes-fluent-client";
import { FetchMethods } from "kubernetes-fluent-client/dist/fluent/shared-types.js";
import { k8sCfg } from "kubernetes-fluent-client/dist/fluent/utils.js";
import { ApiError, NotFoundError } from "../kube/controller-port";
import { collectionPath, objectPath, refOf, type DeployPort, type Manifest, type ManifestRef } from "./deploy-port";
import { FIELD_MANAGER } from "./names";

const APPLY = "application/apply-patch+yaml";
const MERGE = "application/merge-patch+json";

function message(status: number, data: unknown, fallback: string): string {
  return typeof data === "object" && data !== null && typeof (data as { message?: unknown }).message === "string"
    ? `${fallback}: ${(data as { message: string }).message}`
    : `${fallback}: ${status}`;
}

export class KfcDeployPort implements DeployPort {
  async apply(manifest: Manifest): Promise<void> {
    const query = `?fieldManager=${FIELD_MANAGER}&force=true&fieldValidation=Strict`;
    await this.request("PATCH", `${objectPath(refOf(manifest))}${query}`, APPLY, manifest);
  }

  async create(manifest: Manifest): Promise<boolean> {
    try {
      await this.request("POST", `${collectionPath(refOf(manifest))}?fieldManager=${FIELD_MANAGER}&fieldValidation=Strict`, "application/json", manifest);
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) return false;
      throw e;
    }
  }

  async get(ref: ManifestRef): Promise<Record<string, unknown> | undefined> {
    try {
      return await this.request<Record<string, unknown>>("GET", objectPath(ref));
    } catch (e) {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
  }

  /** Deletes the object (uninstall.ts UninstallPort); false when it did not exist. */
  async delete(ref: ManifestRef): Promise<boolean> {
    try {
      await this.request("DELETE", objectPath(ref));
      return true;
    } catch (e) {
      if (e instanceof NotFoundError) return false;
      throw e;
    }
  }

  async mergePatch(ref: ManifestRef, patch: Record<string, unknown>): Promise<void> {
    await this.request("PATCH", `${objectPath(ref)}?fieldManager=${FIELD_MANAGER}`, MERGE, patch);
  }

  async list(ref: Omit<ManifestRef, "name">): Promise<Record<string, unknown>[]> {
    try {
      const found = await this.request<{ items?: Record<string, unknown>[] }>("GET", collectionPath({ ...ref, name: "_" }));
      return found.items ?? [];
    } catch (e) {
      if (e instanceof NotFoundError) return [];
      throw e;
    }
  }

  private async request<T = unknown>(method: "GET" | "POST" | "PATCH" | "DELETE", path: string, contentType?: string, body?: unknown): Promise<T> {
    const { opts, serverUrl } = await k8sCfg(FetchMethods.GET);
    const headers = { ...(opts.headers as Record<string, string>), ...(contentType ? { "Content-Type": contentType } : {}) };
    const resp = await fetch<T>(new URL(path, serverUrl), { ...opts, method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (resp.ok) return resp.data;
    const what = `${method} ${path.split("?")[0]}`;
    if (resp.status === 404) throw new NotFoundError(message(404, resp.data, what));
    throw new ApiError(resp.status, message(resp.status, resp.data, resp.statusText ? `${what} (${resp.statusText})` : what));
  }
}

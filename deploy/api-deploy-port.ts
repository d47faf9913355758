/**
 * DeployPort on one ApiRequest: the module process's REST client (kube/rest) in the watcher, KFC's
 * connection (kube/kfc-api.ts: kubeconfig with any auth plugin) in the `lodestone` command.
 * Lodestone's objects are applied under the field manager `lodestone` (KFC's own Apply always sends
 * `fieldManager=pepr`).
 */
import type { ApiRequest } from "../kube/api-request";
import { ApiError, ConflictError, NotFoundError } from "../kube/controller-port";
import { collectionPath, objectPath, refOf, type DeployPort, type Manifest, type ManifestRef } from "./deploy-port";
import { FIELD_MANAGER } from "./names";

const APPLY = "application/apply-patch+yaml";
const MERGE = "application/merge-patch+json";

/** The same error, its message starting with the call (`PATCH /apis/...`) when it does not already. */
function naming(e: ApiError, method: string, path: string): ApiError {
  if (e.message.startsWith(`${method} `)) return e;
  const message = `${method} ${path.split("?")[0]}: ${e.message}`;
  if (e instanceof NotFoundError) return new NotFoundError(message);
  if (e instanceof ConflictError) return new ConflictError(message);
  return new ApiError(e.status, message);
}

export class ApiDeployPort implements DeployPort {
  constructor(private readonly api: ApiRequest) {}

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
    try {
      return await this.api<T>(method, path, contentType, body);
    } catch (e) {
      throw e instanceof ApiError ? naming(e, method, path) : e;
    }
  }
}

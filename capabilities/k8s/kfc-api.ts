/**
 * Plain REST calls with kubernetes-fluent-client's connection settings (kubeconfig or in-cluster
 * service account), for the writes the fluent API cannot express: merge patches carrying a
 * resourceVersion precondition, strategic merge patches, generateName creates, status
 * subresources, int64 counters above 2^53. Authentication and TLS are those of every other KFC
 * call. Both the controller's and the speaker's port send through one KfcApi.
 */
import { fetch } from "kubernetes-fluent-client";
import { FetchMethods } from "kubernetes-fluent-client/dist/fluent/shared-types.js";
import { k8sCfg } from "kubernetes-fluent-client/dist/fluent/utils.js";
import { ApiError } from "./controller-port";
import { apiError, jsonWithInt64, type ApiRequest, type HttpMethod } from "./api-request";

export { JSON_CONTENT, MERGE_PATCH, STRATEGIC_MERGE_PATCH, apiError, jsonWithInt64, type ApiRequest, type HttpMethod } from "./api-request";

type Connection = Awaited<ReturnType<typeof k8sCfg>>;

export class KfcApi {
  private connection: { at: number; cfg: Connection } | undefined;

  /** Bound, so that it can be handed on as an ApiRequest. */
  readonly request: ApiRequest = async <T = unknown>(method: HttpMethod, path: string, contentType?: string, body?: unknown): Promise<T> => {
    const { opts, serverUrl } = await this.settings();
    const headers = { ...(opts.headers as Record<string, string>), ...(contentType ? { "Content-Type": contentType } : {}) };
    const resp = await fetch<T>(new URL(path, serverUrl), { ...opts, method, headers, ...(body === undefined ? {} : { body: jsonWithInt64(body) }) });
    if (resp.ok) return resp.data;
    if (resp.e !== undefined && resp.statusText) throw new ApiError(0, `${method} ${path}: ${resp.statusText}`);
    throw apiError(resp.status, resp.data, `${method} ${path}: ${resp.status} ${resp.statusText}`);
  };

  /**
   * KFC's connection settings, reused for a minute: k8sCfg builds a new connection pool per call,
   * which would leave one idle keep-alive socket per write; re-reading now and then picks up a
   * rotated service-account token.
   */
  private async settings(): Promise<Connection> {
    if (!this.connection || Date.now() - this.connection.at > 60_000) this.connection = { at: Date.now(), cfg: await k8sCfg(FetchMethods.GET) };
    return this.connection.cfg;
  }
}

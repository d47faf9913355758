/**
 * Plain REST calls with kubernetes-fluent-client's connection settings, for the `lodestone` command:
 * KFC reads any kubeconfig kubectl reads (exec and auth-provider plugins included), which the
 * processes in the cluster, on kube/rest, have no need for. Authentication and TLS are those of
 * every other KFC call.
 *
 * Every call has a timeout, and the calls in flight and the pooled connections can be dropped at once
 * (resetConnections: the watch supervisor does so when the API server answers again after a silence).
 * Over a path that dropped packets, a call sent on a keep-alive socket that died with it would otherwise
 * wait for undici's 300 s headers timeout (KFC keeps idle sockets for 600 s), and a status writer that
 * sends one write at a time would wait with it.
 */
import { fetch } from "kubernetes-fluent-client";
import { FetchMethods } from "kubernetes-fluent-client/dist/fluent/shared-types.js";
import { k8sCfg } from "kubernetes-fluent-client/dist/fluent/utils.js";
import { ApiError } from "./controller-port";
import { apiError, jsonWithInt64, type ApiRequest, type HttpMethod } from "./api-request";

export { JSON_CONTENT, MERGE_PATCH, STRATEGIC_MERGE_PATCH, apiError, jsonWithInt64, type ApiRequest, type HttpMethod } from "./api-request";

/** No API call here takes longer when the API server is reachable. */
export const REQUEST_TIMEOUT_MS = 10_000;

type Connection = Awaited<ReturnType<typeof k8sCfg>>;

export class KfcApi {
  private connection: { at: number; cfg: Connection } | undefined;
  private readonly inFlight = new Set<AbortController>();

  /** Bound, so that it can be handed on as an ApiRequest. */
  readonly request: ApiRequest = async <T = unknown>(method: HttpMethod, path: string, contentType?: string, body?: unknown): Promise<T> => {
    const { opts, serverUrl } = await this.settings();
    const headers = { ...(opts.headers as Record<string, string>), ...(contentType ? { "Content-Type": contentType } : {}) };
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
    this.inFlight.add(ac);
    let resp: Awaited<ReturnType<typeof fetch<T>>>;
    try {
      resp = await fetch<T>(new URL(path, serverUrl), { ...opts, method, headers, signal: ac.signal, ...(body === undefined ? {} : { body: jsonWithInt64(body) }) });
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(ac);
    }
    if (resp.ok) return resp.data;
    if (resp.e !== undefined && resp.statusText) throw new ApiError(0, `${method} ${path}: ${resp.statusText}`);
    throw apiError(resp.status, resp.data, `${method} ${path}: ${resp.status} ${resp.statusText}`);
  };

  /**
   * Cuts every call in flight (each fails with an ApiError naming `reason`, and its caller retries) and
   * closes the pooled connections, so the next calls open fresh ones.
   */
  resetConnections(reason: string): void {
    for (const ac of this.inFlight) ac.abort(new Error(reason));
    const old = this.connection;
    this.connection = undefined;
    const dispatcher = (old?.cfg.opts as { dispatcher?: { destroy(): Promise<void> } } | undefined)?.dispatcher;
    dispatcher?.destroy().catch(() => undefined);
  }

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

/**
 * A small Kubernetes REST client on node:https, for the speaker and the controller: JSON requests,
 * nothing else (their watches run under the watch supervisor, over api-connection.ts).
 * kubernetes-fluent-client and @kubernetes/client-node cost a process about 70 MiB of memory for the
 * handful of calls each makes (docs/benchmarks.md, memory; docs/adr/0015).
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { ApiError } from "../controller-port";
import { apiError, jsonWithInt64, type ApiRequest, type HttpMethod } from "../api-request";
import { responseText } from "../response-text";
import { tlsOptions, type KubeConnection } from "./kube-connection";

/** A plain call gives up after this long without an answer (a dead link drops packets silently). */
const REQUEST_TIMEOUT_MS = 30_000;
/** How long a bearer token read from a file is used before reading it again. */
const TOKEN_REFRESH_MS = 60_000;

/**
 * Requests share a few keep-alive connections: a burst of status writes (one per Service) then waits
 * its turn instead of opening a TLS connection each, whose buffers would stay in the process's heap.
 */
const REQUEST_SOCKETS = 4;

export class RestClient {
  /** Plain calls, at most REQUEST_SOCKETS at a time. */
  private readonly agent: HttpAgent;
  private token: { value: string; at: number } | undefined;
  /** Calls sent and not yet answered, for resetConnections(reason). */
  private readonly inFlight = new Set<ClientRequest>();

  /** `userAgent`: how the API server's audit log names this process. */
  constructor(
    private readonly connection: KubeConnection,
    private readonly userAgent = "lodestone-speaker",
  ) {
    this.agent = this.newAgent(REQUEST_SOCKETS);
  }

  private newAgent(maxSockets: number): HttpAgent {
    const connection = this.connection;
    const options = { keepAlive: true, keepAliveMsecs: 15_000, maxSockets };
    return connection.server.protocol === "https:"
      ? new HttpsAgent({ ...options, ...tlsOptions(connection) })
      : new HttpAgent(options);
  }

  /** Bound, so that it can be handed on as an ApiRequest. */
  readonly request: ApiRequest = async <T = unknown>(method: HttpMethod, path: string, contentType?: string, body?: unknown): Promise<T> => {
    const payload = body === undefined ? undefined : jsonWithInt64(body);
    const res = await this.send(this.agent, method, path, { ...(contentType ? { "Content-Type": contentType } : {}) }, payload, REQUEST_TIMEOUT_MS);
    const text = await responseText(res);
    let data: unknown = text;
    try {
      data = text === "" ? undefined : JSON.parse(text);
    } catch {
      // not JSON (a proxy's error page): the status line says what happened
    }
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return data as T;
    throw apiError(status, data, `${method} ${path}: ${status} ${res.statusMessage ?? ""}`.trim());
  };

  private bearer(): string | undefined {
    const read = this.connection.token;
    if (read === undefined) return undefined;
    if (this.token === undefined || Date.now() - this.token.at > TOKEN_REFRESH_MS) this.token = { value: read(), at: Date.now() };
    return this.token.value;
  }

  private send(agent: HttpAgent, method: HttpMethod, path: string, headers: Record<string, string>, body: string | undefined, idleMs: number): Promise<IncomingMessage> {
    const url = new URL(path, this.connection.server);
    const token = this.bearer();
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method,
        agent,
        headers: {
          Accept: "application/json",
          "User-Agent": this.userAgent,
          ...(token !== undefined ? { Authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { "Content-Length": String(Buffer.byteLength(body)) } : {}),
          ...headers,
        },
      });
      // Inactivity on the socket, not total time: a watch is silent between events but gets bookmarks.
      req.setTimeout(idleMs, () => req.destroy(new Error(`${method} ${url.pathname}: no answer in ${idleMs / 1000} s`)));
      this.inFlight.add(req);
      req.on("close", () => this.inFlight.delete(req));
      req.on("response", res => {
        this.inFlight.delete(req);
        res.on("aborted", () => res.destroy());
        resolve(res);
      });
      req.on("error", e => reject(new ApiError(0, `${method} ${url.pathname}: ${e.message}`)));
      req.end(body);
    });
  }

  /**
   * Closes every idle pooled socket so the next calls connect afresh: after the path to the API server
   * came back, an idle keep-alive socket may be dead without knowing it. With a `reason`, the calls
   * still waiting for an answer are cut too (each fails with an ApiError naming it, and its caller
   * retries at once); without, they end by their own inactivity timeout.
   */
  resetConnections(reason?: string): void {
    for (const sockets of Object.values(this.agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
    if (reason === undefined) return;
    for (const req of this.inFlight) req.destroy(new Error(reason));
    this.inFlight.clear();
  }

  close(): void {
    this.agent.destroy();
  }
}


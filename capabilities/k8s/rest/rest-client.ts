/**
 * A small Kubernetes REST client on node:https, for the speaker: JSON requests and watch streams,
 * nothing else. The speaker runs on every node; kubernetes-fluent-client and @kubernetes/client-node
 * cost it about 70 MiB of memory for the handful of calls it makes (docs/benchmarks.md, memory).
 *
 * Watches follow https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes:
 * one JSON event per line; BOOKMARK events only move the resourceVersion on; an ERROR event with
 * code 410 means the version is too old and the caller must list again.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { ApiError } from "../controller-port";
import { apiError, jsonWithInt64, type ApiRequest, type HttpMethod } from "../api-request";
import { tlsOptions, type KubeConnection } from "./kube-connection";

/** A plain call gives up after this long without an answer (a dead link drops packets silently). */
const REQUEST_TIMEOUT_MS = 30_000;
/** The API server ends a watch after timeoutSeconds; a stream silent for longer than this is dead. */
const WATCH_TIMEOUT_S = 300;
const WATCH_IDLE_MS = (WATCH_TIMEOUT_S + 30) * 1000;
/** How long a bearer token read from a file is used before reading it again. */
const TOKEN_REFRESH_MS = 60_000;

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface WatchStream {
  /** Resolves when the stream ends: `expired` after a 410 (list again), else the server closed it. */
  readonly ended: Promise<"closed" | "expired">;
  stop(): void;
}

/**
 * Requests share a few keep-alive connections: a burst of status writes (one per Service) then waits
 * its turn instead of opening a TLS connection each, whose buffers would stay in the process's heap.
 */
const REQUEST_SOCKETS = 4;

export class RestClient {
  /** Plain calls, at most REQUEST_SOCKETS at a time. */
  private readonly agent: HttpAgent;
  /** Watch streams, one connection each for as long as the watch lasts. */
  private readonly watchAgent: HttpAgent;
  private token: { value: string; at: number } | undefined;

  constructor(private readonly connection: KubeConnection) {
    this.agent = this.newAgent(REQUEST_SOCKETS);
    this.watchAgent = this.newAgent(Infinity);
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
    const text = await readAll(res);
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

  /**
   * Watches `path` (a collection) from `resourceVersion`. Every event line goes to `onEvent` as
   * parsed JSON (the object with its resourceVersion); BOOKMARKs too, so the caller can resume from them.
   */
  async watch(path: string, resourceVersion: string, onEvent: (type: WatchEventType, object: Record<string, unknown>) => void): Promise<WatchStream> {
    const sep = path.includes("?") ? "&" : "?";
    const query = `watch=1&allowWatchBookmarks=true&timeoutSeconds=${WATCH_TIMEOUT_S}&resourceVersion=${encodeURIComponent(resourceVersion)}`;
    const res = await this.send(this.watchAgent, "GET", `${path}${sep}${query}`, {}, undefined, WATCH_IDLE_MS);
    const status = res.statusCode ?? 0;
    if (status === 410) {
      res.resume();
      return { ended: Promise.resolve("expired"), stop: () => undefined };
    }
    if (status < 200 || status >= 300) {
      const text = await readAll(res);
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        data = undefined;
      }
      throw apiError(status, data, `watch ${path}: ${status} ${res.statusMessage ?? ""}`.trim());
    }
    let expired = false;
    let stopped = false;
    const ended = new Promise<"closed" | "expired">((resolve, reject) => {
      let rest = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        rest += chunk;
        let nl: number;
        while ((nl = rest.indexOf("\n")) >= 0) {
          const line = rest.slice(0, nl);
          rest = rest.slice(nl + 1);
          if (line.trim() === "") continue;
          const event = JSON.parse(line) as { type?: WatchEventType; object?: Record<string, unknown> };
          const object = event.object ?? {};
          if (event.type === "ERROR") {
            if (object["code"] === 410) expired = true;
            else reject(new ApiError(Number(object["code"] ?? 0), `watch ${path}: ${String(object["message"] ?? "error event")}`));
            res.destroy();
            return;
          }
          if (event.type !== undefined && !stopped) onEvent(event.type, object);
        }
      });
      res.on("end", () => resolve(expired ? "expired" : "closed"));
      res.on("close", () => (stopped || expired || res.complete ? resolve(expired ? "expired" : "closed") : reject(new Error(`watch ${path}: connection lost`))));
      res.on("error", reject);
    });
    ended.catch(() => undefined);
    return {
      ended,
      stop: () => {
        stopped = true;
        res.destroy();
      },
    };
  }

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
          "User-Agent": "lodestone-speaker",
          ...(token !== undefined ? { Authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { "Content-Length": String(Buffer.byteLength(body)) } : {}),
          ...headers,
        },
      });
      // Inactivity on the socket, not total time: a watch is silent between events but gets bookmarks.
      req.setTimeout(idleMs, () => req.destroy(new Error(`${method} ${url.pathname}: no answer in ${idleMs / 1000} s`)));
      req.on("response", res => {
        res.on("aborted", () => res.destroy());
        resolve(res);
      });
      req.on("error", e => reject(new ApiError(0, `${method} ${url.pathname}: ${e.message}`)));
      req.end(body);
    });
  }

  /**
   * Closes every idle pooled socket so the next calls connect afresh: after the path to the API server
   * came back, an idle keep-alive socket may be dead without knowing it. Calls in flight end by their
   * own inactivity timeout.
   */
  resetConnections(): void {
    for (const agent of [this.agent, this.watchAgent]) for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
  }

  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", reject);
  });
}

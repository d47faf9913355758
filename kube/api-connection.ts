/**
 * The HTTP side of the watch supervisor (watch-supervisor.ts): lists, watch streams and the
 * reachability probe, with the connection settings a ConnectionSettings gives: the controller's and the
 * speaker's from the kubeconfig reader rest/kube-connection.ts, which loads no Kubernetes client library.
 *
 * On node:http(s) rather than fetch so that every request can be cut at once by its AbortSignal and
 * its socket goes with it: a request over a path that drops packets would otherwise wait for the
 * kernel's TCP timeouts. Watches ask for bookmarks and a server-side timeout, so a healthy stream
 * carries something at least every WATCH_TIMEOUT_SECONDS (Kubernetes API concepts, "Watch bookmarks":
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#watch-bookmarks).
 */
import * as http from "node:http";
import * as https from "node:https";
import { listInPages, type ListPage } from "./list-pages";
import { WatchStatusError, type ListResult, type WatchLine, type WatchSource, type WatchStreamHandlers } from "./watch-supervisor";
import { responseText } from "./response-text";

/** What a watch asks the server for: it ends the stream after this, and the supervisor resumes it. */
export const WATCH_TIMEOUT_SECONDS = 60;

/** Where the API server is and how to reach it. */
export interface ConnectionSettings {
  /** The server and the headers of every request (the bearer token, which may be rotated). */
  target(): Promise<{ base: URL; headers: Record<string, string> }>;
  /** TLS material for the agent (read once). */
  tls(): Promise<https.AgentOptions>;
}

interface Settings {
  at: number;
  base: URL;
  headers: Record<string, string>;
}

export class ApiConnection {
  private settingsCache: Settings | undefined;
  private agent: http.Agent | undefined;

  /**
   * `listPageSize`: objects per list page (0: one request). Lists and the relists after a reconnect
   * or a 410 come in pages (list-pages.ts), so that no single body of a 10,000-Service relist is
   * parsed in one piece.
   */
  constructor(
    private readonly connection: ConnectionSettings,
    private readonly listPageSize = 500,
  ) {}

  /**
   * Closes every idle pooled socket so the next requests connect afresh: after the path to the API
   * server came back, an idle keep-alive socket may be dead without knowing it. (Requests in flight are
   * the supervisor's to abort.) The agent stays, and with it the TLS sessions that make the many
   * reconnections after an outage cheap.
   */
  resetConnections(): void {
    for (const sockets of Object.values(this.agent?.freeSockets ?? {})) for (const socket of sockets ?? []) socket.destroy();
  }

  /** Succeeds when the API server answers `GET /version` (readable by every client: system:public-info-viewer). */
  readonly probe = async (signal: AbortSignal): Promise<void> => {
    const res = await this.get("/version", signal);
    const body = await readBody(res, signal);
    if (res.statusCode !== 200) throw new WatchStatusError(res.statusCode ?? 0, `GET /version: ${res.statusCode} ${body.slice(0, 200)}`);
  };

  /** A WatchSource for the collection at `path` (collectionPath), named `name` in logs. */
  source(name: string, path: string): WatchSource {
    return {
      name,
      list: signal => this.list(path, signal),
      watch: (rv, signal, handlers) => this.watch(path, rv, signal, handlers),
    };
  }

  async list(path: string, signal: AbortSignal): Promise<ListResult> {
    const list = await listInPages(path, this.listPageSize, async page => {
      const res = await this.get(page, signal);
      const body = await readBody(res, signal);
      if (res.statusCode !== 200) throw statusError(`GET ${page}`, res.statusCode ?? 0, body);
      return JSON.parse(body) as ListPage;
    });
    return { items: list.items, resourceVersion: list.resourceVersion };
  }

  async watch(path: string, resourceVersion: string, signal: AbortSignal, handlers: WatchStreamHandlers): Promise<void> {
    const query = new URLSearchParams({ watch: "1", allowWatchBookmarks: "true", timeoutSeconds: String(WATCH_TIMEOUT_SECONDS) });
    if (resourceVersion) query.set("resourceVersion", resourceVersion);
    const full = `${path}${path.includes("?") ? "&" : "?"}${query.toString()}`;
    const res = await this.get(full, signal);
    if (res.statusCode !== 200) throw statusError(`watch ${path}`, res.statusCode ?? 0, await readBody(res, signal));
    handlers.onOpen();
    await new Promise<void>((resolve, reject) => {
      let buffer = "";
      let ended = false;
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const text = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (!text) continue;
          let line: WatchLine;
          try {
            line = JSON.parse(text) as WatchLine;
          } catch {
            res.destroy(new Error(`watch ${path}: a line that is not JSON: ${text.slice(0, 100)}`));
            return;
          }
          handlers.onLine(line);
        }
      });
      res.on("end", () => {
        ended = true;
        resolve();
      });
      res.on("error", reject);
      res.on("close", () => {
        if (!ended) reject(signal.aborted ? signal.reason : new Error(`watch ${path}: the connection closed`));
      });
    });
  }

  /** Sends a GET; resolves with the response once its headers are in. Aborting destroys the socket. */
  private async get(path: string, signal: AbortSignal): Promise<http.IncomingMessage> {
    signal.throwIfAborted();
    const { base, headers } = await this.settings();
    const url = new URL(path, base);
    const agent = await this.connectionAgent(url);
    return new Promise((resolve, reject) => {
      const send = url.protocol === "https:" ? https.request : http.request;
      const req = send(url, { method: "GET", agent, headers: { ...headers, Accept: "application/json" } }, res => {
        signal.removeEventListener("abort", onAbort);
        const onResAbort = (): void => void res.destroy(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
        signal.addEventListener("abort", onResAbort, { once: true });
        // The supervisor keeps one signal for a list and the watch after it: a listener left on it kept
        // the response, and through its listeners the whole list body (megabytes at 10,000 Services).
        const drop = (): void => signal.removeEventListener("abort", onResAbort);
        res.once("end", drop);
        res.once("close", drop);
        resolve(res);
      });
      const onAbort = (): void => {
        req.destroy(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      req.on("error", e => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      });
      req.end();
    });
  }

  /**
   * The server and headers (the bearer token), re-read every minute so a rotated service-account
   * token is picked up; the agent (TLS material, keep-alive sockets) is made once.
   */
  private async settings(): Promise<Settings> {
    const now = Date.now();
    if (this.settingsCache && now - this.settingsCache.at < 60_000) return this.settingsCache;
    const { base, headers } = await this.connection.target();
    this.settingsCache = { at: now, base, headers };
    return this.settingsCache;
  }

  private async connectionAgent(url: URL): Promise<http.Agent> {
    if (this.agent) return this.agent;
    if (url.protocol !== "https:") return (this.agent = new http.Agent({ keepAlive: true }));
    this.agent = new https.Agent({ keepAlive: true, ...(await this.connection.tls()) });
    return this.agent;
  }
}

const readBody = (res: http.IncomingMessage, signal: AbortSignal): Promise<string> =>
  responseText(res, () => (signal.aborted ? signal.reason : new Error("the connection closed")));

/** The failure of a request, with the server's Status message when it sent one. */
function statusError(what: string, status: number, body: string): WatchStatusError {
  let message = body.slice(0, 200);
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === "string") message = parsed.message;
  } catch {
    // not JSON: the raw text
  }
  return new WatchStatusError(status, `${what}: ${status} ${message}`);
}

/**
 * One process's session with the API server over plain REST (kube/rest): the client for its calls,
 * the connection its watches list and stream on, and the supervisor that keeps those watches alive.
 * The controller's and the speaker's ports (kube/rest-controller-port.ts, speaker/rest-speaker-port.ts)
 * each open one; what the path's return resets is wired here once.
 */
import { realClock } from "../core/clock";
import type { Logger } from "../observability/log";
import { ApiConnection } from "./api-connection";
import { connectionSettings, kubeConnection, type KubeConnection } from "./rest/kube-connection";
import { RestClient } from "./rest/rest-client";
import { WatchSupervisor } from "./watch-supervisor";

export interface RestSessionOptions {
  /** Where the API server is (default: KUBECONFIG's first file, else the Pod's service account). */
  connection?: KubeConnection;
  /** How the API server's audit log names the process. */
  userAgent: string;
  /** Objects per page of the watches' lists and relists. */
  listPageSize: number;
  /**
   * When the API server answers again after a silence, idle sockets are closed; with a reason, calls
   * in flight are cut too (they may be waiting on a connection that died in the silence) and fail
   * with it, for their callers to send again.
   */
  cutCallsOnReturn?: string;
  log?: Logger;
}

export interface RestSession {
  readonly client: RestClient;
  readonly connection: ApiConnection;
  readonly watches: WatchSupervisor;
}

export function openRestSession(opts: RestSessionOptions): RestSession {
  const kube = opts.connection ?? kubeConnection();
  const client = new RestClient(kube, opts.userAgent);
  const connection = new ApiConnection(connectionSettings(kube), opts.listPageSize);
  const watches = new WatchSupervisor({ clock: realClock, probe: connection.probe, ...(opts.log ? { log: opts.log } : {}) });
  watches.onPathReturn(() => {
    connection.resetConnections();
    client.resetConnections(opts.cutCallsOnReturn);
  });
  return { client, connection, watches };
}

/** Test helpers: start a server in a temp dir and make raw HTTPS requests to it (tests only). */
import { request } from "node:https";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApiServer, type RunningApiServer } from "./server";
import type { ServiceResolver } from "./admission";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // Parsed JSON body (undefined when not JSON); typed loosely on purpose: tests index into it.
  json: Record<string, unknown> & { [k: string]: unknown };
}

export interface TestServer extends RunningApiServer {
  dir: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<RawResponse>;
  close(): Promise<void>;
}

export async function startTestServer(opts: { bookmarkIntervalMs?: number; watchHistoryLimit?: number; resolveService?: ServiceResolver; loadBalancerIPMode?: boolean } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "kas-test-"));
  const srv = await startApiServer({ dir, ...opts });
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
      const req = request(
        new URL(path, srv.url),
        {
          method,
          ca: srv.caPem,
          headers: {
            Authorization: `Bearer ${srv.token}`,
            "User-Agent": "rec-client/1.0",
            Accept: "application/json",
            ...(data !== undefined ? { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(data)) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let json: RawResponse["json"] = {};
            try {
              json = JSON.parse(text) as RawResponse["json"];
            } catch {
              // not JSON
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
        },
      );
      req.on("error", reject);
      req.end(data);
    });
  return {
    ...srv,
    dir,
    call,
    close: async () => {
      await srv.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Reads `path` as a raw watch stream until `count` lines arrived (or the server ended it). */
export function watchLines(srv: RunningApiServer, path: string, count: number, headers: Record<string, string> = {}): { lines: Promise<string[]>; abort: () => void } {
  let abort = (): void => {};
  const lines = new Promise<string[]>((resolve, reject) => {
    const got: string[] = [];
    let buf = "";
    const req = request(new URL(path, srv.url), { ca: srv.caPem, headers: { Authorization: `Bearer ${srv.token}`, ...headers } }, (res) => {
      res.on("data", (c: Buffer) => {
        buf += c.toString("utf8");
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          got.push(buf.slice(0, i));
          buf = buf.slice(i + 1);
          if (got.length >= count) {
            req.destroy();
            resolve(got);
            return;
          }
        }
      });
      res.on("end", () => resolve(got));
      res.on("close", () => resolve(got));
    });
    req.on("error", (e) => (got.length > 0 ? resolve(got) : reject(e)));
    abort = () => req.destroy();
    req.end();
  });
  return { lines, abort: () => abort() };
}

/** HTTP plumbing: reading bodies, writing JSON/Status responses with the headers the real server sends. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { ApiError, type Json } from "./status";

const FLOW_SCHEMA_UID = randomUUID();
const PRIORITY_LEVEL_UID = randomUUID();
const MAX_BODY = 16 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * One `Warning: 299 - "<text>"` header value. Go sends non-ASCII as raw UTF-8; Node's HTTP layer cannot
 * emit raw UTF-8 header bytes, so non-ASCII characters are replaced by "?" (a known difference).
 */
export function warningHeader(text: string): string {
  const escaped = text.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
  return `299 - "${escaped}"`.replace(/[^\t\x20-\x7e]/g, "?");
}

export function commonHeaders(res: ServerResponse): void {
  res.setHeader("Audit-Id", randomUUID());
  res.setHeader("Cache-Control", "no-cache, private");
  res.setHeader("X-Kubernetes-Pf-Flowschema-Uid", FLOW_SCHEMA_UID);
  res.setHeader("X-Kubernetes-Pf-Prioritylevel-Uid", PRIORITY_LEVEL_UID);
}

export function sendJson(res: ServerResponse, code: number, body: Json, warnings: string[] = [], extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  commonHeaders(res);
  const text = JSON.stringify(body);
  res.setHeader("Content-Type", "application/json");
  if (warnings.length > 0) res.setHeader("Warning", warnings.map(warningHeader));
  for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.writeHead(code);
  res.end(text);
}

export function sendBytes(res: ServerResponse, code: number, contentType: string, body: Buffer): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  commonHeaders(res);
  res.setHeader("Content-Type", contentType);
  res.setHeader("Content-Length", body.length);
  res.writeHead(code);
  res.end(body);
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  commonHeaders(res);
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.writeHead(code);
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError, warnings: string[] = []): void {
  if (err.plainText) sendText(res, err.code, `${err.message}\n`);
  else sendJson(res, err.code, err.toStatus(), warnings, err.headers);
}

/** Media type of a Content-Type header, without parameters. */
export const mediaType = (ct: string | undefined): string => (ct ?? "").split(";")[0]?.trim().toLowerCase() ?? "";

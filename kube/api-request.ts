/**
 * One call to the Kubernetes API, independent of the client that sends it: the signature both
 * RestClient (the controller and the speaker, on node:https) and KfcApi (the CLI, on kubernetes-fluent-client)
 * implement, the content types of the writes, and how a failed call becomes an ApiError.
 */
import { ApiError, ConflictError, NotFoundError } from "./controller-port";

export const MERGE_PATCH = "application/merge-patch+json";
export const STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";
export const JSON_CONTENT = "application/json";

export type HttpMethod = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

/** One API call; failures with an HTTP status are ApiError (ConflictError on 409, NotFoundError on 404). */
export type ApiRequest = <T = unknown>(method: HttpMethod, path: string, contentType?: string, body?: unknown) => Promise<T>;

/** JSON with bigints written as exact integer literals (int64 counters). */
export function jsonWithInt64(value: unknown): string {
  const marked = JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? `__int64__${v.toString()}__` : v));
  return marked.replace(/"__int64__(-?\d+)__"/g, "$1");
}

/** The error for a failed call: the server's Status message when it sent one, else `fallback`. */
export function apiError(status: number, data: unknown, fallback: string): ApiError {
  const message =
    typeof data === "object" && data !== null && typeof (data as { message?: unknown }).message === "string" ? (data as { message: string }).message : fallback;
  if (status === 409) return new ConflictError(message);
  if (status === 404) return new NotFoundError(message);
  return new ApiError(status, message);
}

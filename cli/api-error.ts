/**
 * One line for a failed call to the Kubernetes API, in the words kubectl uses: the server's own
 * message when it answered (`Error from server (Forbidden): ...`), else why it could not be reached.
 *
 * kubernetes-fluent-client throws, instead of an Error, the response it got: `{ status, statusText,
 * data }` where `data` is the API server's Status object, plus `e`, the fetch error, when no answer
 * came at all (undici's `fetch failed`, whose `cause` holds the socket error code).
 */

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** Socket and TLS error codes, in words. */
const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused (is the API server running?)",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
};

/** The innermost cause of an error chain that has a code or a message. */
function networkReason(e: unknown): string {
  let cause: unknown = e;
  for (let depth = 0; depth < 5 && isRecord(cause) && isRecord(cause["cause"]); depth++) cause = cause["cause"];
  if (!isRecord(cause)) return String(cause);
  const code = typeof cause["code"] === "string" ? cause["code"] : undefined;
  if (code !== undefined && NETWORK_CODES[code]) return NETWORK_CODES[code];
  const message = typeof cause["message"] === "string" ? cause["message"] : String(cause);
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message;
}

/** One line, without the command's prefix, for an error from a call to the API server at `server`. */
export function describeApiError(err: unknown, server: string | undefined): string {
  const at = server ? ` at ${server}` : "";
  if (isRecord(err) && typeof err["status"] === "number" && !(err instanceof Error)) {
    const data = err["data"];
    if (isRecord(data) && typeof data["message"] === "string") {
      const reason = typeof data["reason"] === "string" && data["reason"] !== "" ? data["reason"] : String(err["status"]);
      return `Error from server (${reason}): ${data["message"]}`;
    }
    if (err["e"] !== undefined) return `cannot reach the API server${at}: ${networkReason(err["e"])}`;
    const text = typeof data === "string" && data.trim() !== "" ? `: ${data.trim().split("\n")[0]}` : "";
    return `the API server${at} answered ${err["status"]} ${String(err["statusText"] ?? "")}`.trimEnd() + text;
  }
  if (err instanceof Error) return err.message;
  return isRecord(err) ? JSON.stringify(err) : String(err);
}

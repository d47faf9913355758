/**
 * A response body read in full as UTF-8 text, for lists and requests to the API server.
 *
 * Once the text is in (or the read failed), our listeners come off the response: Node keeps a pooled
 * keep-alive socket's first request alive (through the https agent's session listener), and with it
 * that request's response; listeners left on the response kept the settled promise and so the whole
 * body, megabytes for a 10,000-Service list, for as long as the socket lived.
 */
import type { IncomingMessage } from "node:http";

/** Errors after the body is read have nobody left to tell (an unhandled 'error' would end the process). */
const ignore = (): void => undefined;

export function responseText(res: IncomingMessage, closedEarly: () => unknown = () => new Error("the connection closed")): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => void chunks.push(chunk);
    const detach = (): void => {
      res.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      res.on("error", ignore);
    };
    const onEnd = (): void => {
      detach();
      resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const onError = (error: Error): void => {
      detach();
      reject(error);
    };
    const onClose = (): void => {
      detach();
      reject(closedEarly());
    };
    res.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}

import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { responseText } from "./response-text";

/** A response body as Node's http client hands it over: a readable stream of Buffers. */
const response = (): PassThrough & IncomingMessage => new PassThrough() as PassThrough & IncomingMessage;
const ours = (res: IncomingMessage): Record<string, number> => Object.fromEntries(["data", "end", "error", "close"].map(e => [e, res.listenerCount(e)]));

describe("responseText", () => {
  it("reads the body as UTF-8 across chunks, then takes its listeners off the response", async () => {
    const res = response();
    const before = ours(res);
    const text = responseText(res);
    const bytes = Buffer.from('{"kind":"ServiceList","items":[{"name":"café"}]}', "utf8");
    res.write(bytes.subarray(0, 41)); // splits the two bytes of "é"
    res.end(bytes.subarray(41));
    await expect(text).resolves.toBe('{"kind":"ServiceList","items":[{"name":"café"}]}');
    // One 'error' listener stays (a no-op that holds nothing), so that a late error does not end the process.
    expect(ours(res)).toEqual({ ...before, error: (before.error ?? 0) + 1 });
    expect(() => res.emit("error", new Error("late"))).not.toThrow();
  });

  it("rejects with the stream's error, and with closedEarly's when the connection closes before the end", async () => {
    const failed = response();
    const a = responseText(failed);
    failed.destroy(new Error("ECONNRESET"));
    await expect(a).rejects.toThrow("ECONNRESET");

    const closed = response();
    const b = responseText(closed, () => new Error("list not answered within 30000 ms"));
    closed.write("{");
    closed.destroy();
    await expect(b).rejects.toThrow("list not answered within 30000 ms");
    expect(closed.listenerCount("data") + closed.listenerCount("end") + closed.listenerCount("close")).toBe(0);
  });
});

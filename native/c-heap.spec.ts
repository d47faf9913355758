/**
 * trimCHeap (native/c_heap.c) gives back pages glibc would keep: a child process frees 40 MiB of
 * buffers allocated from the middle of its C heap (below glibc's mmap threshold, pinned at the top by
 * one buffer it keeps), and its RSS falls only when it trims (on libuv's thread pool: a promise).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { addonCandidates, locateAddon } from "./index";

const CHILD = `
const addon = require(process.argv[1]);
const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(require("fs").readFileSync("/proc/self/status", "utf8"))[1]) / 1024;
let bufs = [];
for (let i = 0; i < 400; i++) bufs.push(Buffer.alloc(100 * 1024, 1));
const pin = Buffer.alloc(100 * 1024, 1);
bufs = null;
global.gc(); global.gc();
const before = rss();
const again = rss();
addon.trimCHeap().then(released => {
  const after = rss();
  console.log(JSON.stringify({ before, again, released, after, pin: pin.length }));
});
`;

describe("trimCHeap", () => {
  it("releases the free pages in the middle of the C heap, which RSS otherwise keeps", () => {
    const addon = locateAddon(process.platform, addonCandidates(), existsSync);
    const out = execFileSync(process.execPath, ["--expose-gc", "-e", CHILD, addon], {
      encoding: "utf8",
      env: { ...process.env, MALLOC_MMAP_THRESHOLD_: String(1024 * 1024), MALLOC_TRIM_THRESHOLD_: String(1024 * 1024 * 1024) },
    });
    const r = JSON.parse(out) as { before: number; again: number; released: boolean; after: number };
    expect(r.released).toBe(true);
    // Nothing gives the freed 40 MiB back by itself...
    expect(r.before - r.again).toBeLessThan(1);
    // ...until the trim.
    expect(r.before - r.after).toBeGreaterThan(30);
  });
});

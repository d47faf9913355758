/**
 * Every relative link in the docs pages points at a file that exists and, with a `#fragment`, at a
 * heading of that page (GitHub's anchor rule), so moving or renaming a section breaks this test
 * rather than the reader's click. Links inside code blocks are not links and are skipped.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const docsDir = dirname(fileURLToPath(import.meta.url));

/** The text outside fenced code blocks and inline code spans. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's heading anchor: lower case, punctuation other than `-` and `_` removed, spaces to `-`. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, "")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, "utf8").replace(/^```[\s\S]*?^```/gm, "");
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map(m => anchorOf(m[1] ?? "")));
}

/** Relative links `[text](target)` of a page, as written. */
function relativeLinks(file: string): string[] {
  const links = [...prose(readFileSync(file, "utf8")).matchAll(/\]\(([^)\s]+)\)/g)].map(m => m[1] ?? "");
  return links.filter(l => !/^[a-z][a-z0-9+.-]*:/i.test(l));
}

const pages = readdirSync(docsDir).filter(f => f.endsWith(".md")).sort();

describe("anchorOf", () => {
  it("follows GitHub's rule", () => {
    expect(anchorOf("4. Migrating from MetalLB")).toBe("4-migrating-from-metallb");
    expect(anchorOf("Every reason of `lodestone.dev/IPAllocated`")).toBe("every-reason-of-lodestonedevipallocated");
    expect(anchorOf("Heartbeats and the 300 ms liveness")).toBe("heartbeats-and-the-300-ms-liveness");
  });
});

describe("links in docs/*.md", () => {
  it("finds the pages and their links", () => {
    expect(pages).toContain("README.md");
    expect(pages).toContain("troubleshooting.md");
    // The index links every page: if link extraction broke, this would find none.
    expect(relativeLinks(join(docsDir, "README.md")).length).toBeGreaterThanOrEqual(pages.length - 1);
    expect(relativeLinks(join(docsDir, "concepts.md"))).toContain("install.md#4-migrating-from-metallb");
  });

  for (const page of pages) {
    it(`${page}: every relative link resolves`, () => {
      const file = join(docsDir, page);
      const broken: string[] = [];
      for (const link of relativeLinks(file)) {
        const [path = "", fragment] = link.split("#");
        const target = path === "" ? file : resolve(docsDir, path);
        if (!existsSync(target)) broken.push(`${link}: no such file`);
        else if (fragment !== undefined && target.endsWith(".md") && !anchorsOf(target).has(fragment)) broken.push(`${link}: no such heading`);
      }
      expect(broken).toEqual([]);
    });
  }
});

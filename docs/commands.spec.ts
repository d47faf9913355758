/**
 * The commands the docs show, checked against the code they name: what a reader copies must work.
 * - no `sudo` (Debian has none for root; the pages say "as root" instead);
 * - every `examples/...` file a command names exists, and lab.md says where the lab really reads them;
 * - every `npx lodestone <command> ...` names a command and flags it accepts;
 * - the lab's own hints name the status kind of its mode and only resources the API serves;
 * - the README's failover figures are the ones docs/lab.md measured.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readFlags, type FlagSpec } from "../cli/args";
import { CONVERT_FLAGS } from "../cli/convert";
import { INSTALL_FLAGS } from "../cli/install";
import { MANIFESTS_FLAGS } from "../cli/manifests";
import { PREPARE_FLAGS } from "../cli/prepare";
import { UNINSTALL_FLAGS } from "../cli/uninstall";
import { STATUS_FLAGS } from "../cli/status";
import { VALIDATE_FLAGS } from "../cli/validate";
import { examplesDir } from "../hack/lab/examples";
import { labHints } from "../hack/lab/hints";
import { speakerDaemonSet } from "../deploy/speaker-daemonset";
import { SPEAKER_POD_LABELS } from "../kube/speaker-port";

const docsDir = dirname(fileURLToPath(import.meta.url));
const repo = join(docsDir, "..");
const pages = [join(repo, "README.md"), ...readdirSync(docsDir).filter(f => f.endsWith(".md")).map(f => join(docsDir, f))];
const text = (file: string): string => readFileSync(file, "utf8");
const rel = (file: string): string => file.slice(repo.length + 1);

/** The lines of the fenced code blocks of a page and its inline code spans: what a reader copies. */
function commands(file: string): string[] {
  const md = text(file);
  const blocks = [...md.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].flatMap(m => (m[1] ?? "").split("\n"));
  const spans = [...md.replace(/^```[\s\S]*?^```/gm, "").matchAll(/`([^`\n]+)`/g)].map(m => m[1] ?? "");
  return [...blocks, ...spans].map(l => l.replace(/^\$ /, "").trim()).filter(Boolean);
}

const FLAGS: Record<string, Record<string, FlagSpec>> = { validate: VALIDATE_FLAGS, convert: CONVERT_FLAGS, status: STATUS_FLAGS, install: INSTALL_FLAGS, manifests: MANIFESTS_FLAGS, prepare: PREPARE_FLAGS, uninstall: UNINSTALL_FLAGS };

/** The arguments after `npx lodestone` up to a pipe, redirection, `;`, `&&` or comment. */
function lodestoneArgs(line: string): string[] | undefined {
  const m = /(?:^|\s)npx lodestone((?:\s+[^\s|;&#<>]+)*)/.exec(line);
  return m ? (m[1] ?? "").trim().split(/\s+/).filter(Boolean) : undefined;
}

describe("commands in README.md and docs/*.md", () => {
  it("finds commands to check", () => {
    const all = pages.flatMap(commands);
    expect(all.filter(c => lodestoneArgs(c) !== undefined).length).toBeGreaterThan(5);
    expect(all.some(c => c.includes("kubectl apply -f examples/"))).toBe(true);
  });

  it("never use sudo (a root shell on Debian has none)", () => {
    const found = pages.flatMap(f => text(f).split("\n").map((l, i) => ({ where: `${rel(f)}:${i + 1}`, l })).filter(({ l }) => /\bsudo\b(?! -i)/.test(l)));
    expect(found.map(({ where, l }) => `${where}: ${l.trim()}`)).toEqual([]);
  });

  it("name example files that exist", () => {
    const missing = pages.flatMap(f =>
      commands(f).flatMap(c => [...c.matchAll(/(?:^|[\s=])(examples\/[\w./-]+\.ya?ml)/g)].map(m => m[1] ?? "").filter(p => !existsSync(join(repo, p))).map(p => `${rel(f)}: ${p}`)),
    );
    expect(missing).toEqual([]);
  });

  it("run lodestone commands with flags those commands accept", () => {
    const wrong: string[] = [];
    for (const f of pages)
      for (const c of commands(f)) {
        const args = lodestoneArgs(c);
        if (args === undefined || args.length === 0) continue;
        const [command = "", ...rest] = args;
        if (["-h", "--help", "help", "-v", "--version", "version"].includes(command)) continue;
        const flags = FLAGS[command];
        if (!flags) wrong.push(`${rel(f)}: ${c}: no command ${command}`);
        else {
          // `...` stands for "more of the same" in a usage line.
          const parsed = readFlags(rest.filter(a => a !== "..." && !a.startsWith("[")), flags);
          if (parsed.kind === "usage-error") wrong.push(`${rel(f)}: ${c}: ${parsed.message}`);
        }
      }
    expect(wrong).toEqual([]);
  });
});

describe("docs/lab.md", () => {
  it("says the examples come from where the lab reads them: the repository's examples/", () => {
    expect(examplesDir({})).toBe(join(repo, "examples"));
    expect(text(join(docsDir, "lab.md"))).toContain("it reads them from the repository's `examples/`");
  });

  it("the lab's hints name the status kind of each mode, and only kinds the API serves", () => {
    const plurals = readdirSync(join(repo, "crds")).flatMap(f => /^metallb\.io_(\w+)\.yaml$/.exec(f)?.[1] ?? []);
    for (const mode of ["l2", "bgp"] as const) {
      const hints = labHints(mode, "/tmp/k", "ls-x-router", "192.0.2.161").join("\n");
      const resources = [...hints.matchAll(/kubectl get (\S+)/g)].map(m => m[1] ?? "");
      expect(resources.filter(r => r !== "svc" && !plurals.includes(r))).toEqual([]);
      expect(resources).toContain(mode === "bgp" ? "servicebgpstatuses" : "servicel2statuses");
    }
  });
});

describe("docs/rbac.md", () => {
  it("names the labels the speakers find each other by, which the DaemonSet's pods carry", () => {
    const labels = Object.entries(SPEAKER_POD_LABELS).map(([k, v]) => `${k}=${v}`).join(", ");
    expect(text(join(docsDir, "rbac.md"))).toContain(`(labels ${labels})`);
    const pods = speakerDaemonSet({ namespace: "metallb-system", image: "i" }).spec.template.metadata.labels as Record<string, string>;
    for (const [k, v] of Object.entries(SPEAKER_POD_LABELS)) expect(pods[k], k).toBe(v);
  });
});

describe("README.md", () => {
  it("quotes the failover figures docs/lab.md measured", () => {
    const readme = text(join(repo, "README.md"));
    const lab = text(join(docsDir, "lab.md"));
    const l2 = /fail over\s+in about (\S+ m?s) when the owning node dies/.exec(readme)?.[1];
    const bgp = /takes the dead\s+node's next hop away in (\d+ to \d+ ms)/.exec(readme)?.[1];
    expect(l2).toBeDefined();
    expect(bgp).toBeDefined();
    expect(lab.replace(/\s+/g, " ")).toContain(`the failover is about ${l2 ?? "?"}`);
    expect(lab.replace(/\s+/g, " ")).toContain(`leaves the route ${bgp ?? "?"} after its speaker is killed`);
  });
});

/**
 * hack/setup.sh installs, by name, only packages that exist in both distributions README promises
 * (Debian 12 and Ubuntu 24.04), and names the commands the tests run.
 *
 * PACKAGES holds, for each name, where it is in each distribution: checked on a Debian 12 or Ubuntu 24.04
 * machine (apt-cache policy, below; CI's is Debian 12), and Ubuntu's column was read from noble's
 * dists/noble/{main,universe}/binary-amd64/Packages.gz on archive.ubuntu.com.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const setup = readFileSync(join(__dirname, "setup.sh"), "utf8");

const PACKAGES: Record<string, { debian12: string; ubuntu2404: string }> = {
  "ca-certificates": { debian12: "main", ubuntu2404: "main" },
  git: { debian12: "main", ubuntu2404: "main" },
  iproute2: { debian12: "main", ubuntu2404: "main" },
  iptables: { debian12: "main", ubuntu2404: "main" },
  procps: { debian12: "main", ubuntu2404: "main" },
  kmod: { debian12: "main", ubuntu2404: "main" },
  curl: { debian12: "main", ubuntu2404: "main" },
  "iputils-ping": { debian12: "main", ubuntu2404: "main" },
  "iputils-arping": { debian12: "main", ubuntu2404: "main" },
  ndisc6: { debian12: "main", ubuntu2404: "universe" },
  tcpdump: { debian12: "main", ubuntu2404: "main" },
  socat: { debian12: "main", ubuntu2404: "main" },
  openssl: { debian12: "main", ubuntu2404: "main" },
  make: { debian12: "main", ubuntu2404: "main" },
  "g++": { debian12: "main", ubuntu2404: "main" },
  python3: { debian12: "main", ubuntu2404: "main" },
  frr: { debian12: "main", ubuntu2404: "main" },
  bird2: { debian12: "main", ubuntu2404: "universe" },
  gobgpd: { debian12: "main", ubuntu2404: "universe" },
  exabgp: { debian12: "main", ubuntu2404: "universe" },
  keepalived: { debian12: "main", ubuntu2404: "main" },
  nodejs: { debian12: "main", ubuntu2404: "universe" },
  npm: { debian12: "main", ubuntu2404: "universe" },
};

/** A bash array assignment of setup.sh, `name=(a b "${other[@]}")`, expanded. */
function bashArray(name: string): string[] {
  const m = new RegExp(`^${name}=\\(([^)]*)\\)`, "m").exec(setup);
  if (!m) throw new Error(`setup.sh has no ${name}=(...)`);
  return m[1]!.split(/\s+/).filter(Boolean).flatMap(w => {
    const ref = /^"\$\{(\w+)\[@\]\}"$/.exec(w);
    return ref ? bashArray(ref[1]!) : [w];
  });
}

/** Every name after `apt-get install ... --no-install-recommends` that is not a variable. */
const aptInstalled = (): string[] =>
  [...setup.matchAll(/apt-get install -y -qq --no-install-recommends ([^>|&\n]+)/g)].flatMap(m => m[1]!.trim().split(/\s+/)).filter(w => !w.startsWith('"$'));

/** This machine's column of PACKAGES, from /etc/os-release; undefined on any other system. */
function thisDistribution(): "debian12" | "ubuntu2404" | undefined {
  const release = existsSync("/etc/os-release") ? readFileSync("/etc/os-release", "utf8") : "";
  if (/^ID=debian$/m.test(release) && /^VERSION_ID="12"$/m.test(release)) return "debian12";
  if (/^ID=ubuntu$/m.test(release) && /^VERSION_ID="24\.04"$/m.test(release)) return "ubuntu2404";
  return undefined;
}

/** apt-cache policy's candidate version of each name ("(none)" when apt's lists do not have it). */
function candidates(names: string[]): Map<string, string> {
  // One apt-cache run for all (each run reads the whole cache): `name:` then `  Candidate: version`.
  const policy = spawnSync("apt-cache", ["policy", ...names], { encoding: "utf8" }).stdout;
  return new Map([...policy.matchAll(/^(\S+):\n(?:\s+Installed: .*\n)?\s+Candidate: (.*)$/gm)].map(m => [m[1]!, m[2]!]));
}

describe("hack/setup.sh", () => {
  const names = [...bashArray("packages"), ...aptInstalled()];

  it("installs only packages named alike in Debian 12 and Ubuntu 24.04 (kubernetes-client only where apt has it)", () => {
    expect(names).toContain("gobgpd");
    expect(names.filter(n => n !== "kubernetes-client" && !(n in PACKAGES))).toEqual([]);
    // Ubuntu 24.04 has no kubernetes-client to install: its install and download are guarded by apt-cache
    // madison (versions apt can install; apt-cache show exits 0 there for the name without one).
    expect(setup).toContain('has_kubernetes_client() { apt_update; [ -n "$(apt-cache madison kubernetes-client 2>/dev/null)" ]; }');
    const lines = setup.split("\n");
    const uses = lines.flatMap((l, i) => (/apt-get (install|download) .*kubernetes-client/.test(l) ? [i] : []));
    expect(uses).toHaveLength(2);
    for (const i of uses) expect(lines.slice(i - 3, i).some(l => /^\s*(el)?if has_kubernetes_client; then$/.test(l)), lines[i]).toBe(true);
  });

  it("installs what the tests run: iptables, sysctl, unshare/setpriv/chroot, ping, arping, ndisc6, socat, tcpdump, git", () => {
    const provider: Record<string, string> = {
      iptables: "iptables",
      sysctl: "procps",
      ping: "iputils-ping",
      arping: "iputils-arping",
      ndisc6: "ndisc6",
      socat: "socat",
      tcpdump: "tcpdump",
      git: "git",
      ip: "iproute2",
      birdc: "bird2",
      gobgp: "gobgpd",
      vtysh: "frr",
    };
    for (const [command, pkg] of Object.entries(provider)) expect(names, `${command} comes from ${pkg}`).toContain(pkg);
  });

  // On a Debian 12 (CI's) or Ubuntu 24.04 machine; elsewhere there is no such list to read.
  it.runIf(thisDistribution() !== undefined)("finds every name in this Debian 12 or Ubuntu 24.04 machine's package lists", () => {
    const found = candidates([...Object.keys(PACKAGES), "kubernetes-client"]);
    const missing = Object.keys(PACKAGES).filter(name => (found.get(name) ?? "(none)") === "(none)");
    expect(missing, "not in apt's lists (run apt-get update?)").toEqual([]);
    // setup.sh takes kubectl 1.20 from Debian's kubernetes-client, and from npm where there is none.
    expect(found.get("kubernetes-client") ?? "(none)", "kubernetes-client").toMatch(thisDistribution() === "debian12" ? /^1\.20\./ : /^\(none\)$/);
  }, 60_000);

  it("is valid bash", () => {
    expect(() => execFileSync("bash", ["-n", join(__dirname, "setup.sh")])).not.toThrow();
  });
});

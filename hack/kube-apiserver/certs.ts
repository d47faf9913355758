/**
 * A throwaway CA and a serving certificate for 127.0.0.1, made with the openssl CLI into the state dir.
 * Existing files are reused so that a restarted server keeps the same CA (kubeconfigs stay valid).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ServingCerts {
  caPem: string;
  certPem: string;
  keyPem: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

export function ensureCerts(dir: string, host: string): ServingCerts {
  const ca = join(dir, "ca.crt");
  const cert = join(dir, "apiserver.crt");
  const key = join(dir, "apiserver.key");
  if (!existsSync(ca) || !existsSync(cert) || !existsSync(key)) {
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650", "-subj", "/CN=lodestone-test-apiserver-ca"], dir);
    openssl(["req", ...ec, "-keyout", "apiserver.key", "-out", "apiserver.csr", "-subj", "/CN=kube-apiserver"], dir);
    const sans = ["IP:127.0.0.1", "IP:::1", "DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default.svc"];
    if (!["127.0.0.1", "::1", "localhost"].includes(host)) sans.push(/^[\d.]+$|:/.test(host) ? `IP:${host}` : `DNS:${host}`);
    writeFileSync(
      join(dir, "apiserver.ext"),
      `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.join(",")}\n`,
    );
    openssl(
      ["x509", "-req", "-in", "apiserver.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "apiserver.crt", "-days", "3650", "-extfile", "apiserver.ext"],
      dir,
    );
  }
  return { caPem: readFileSync(ca, "utf8"), certPem: readFileSync(cert, "utf8"), keyPem: readFileSync(key, "utf8") };
}

/**
 * A throwaway CA and a serving certificate for 127.0.0.1, made with the openssl CLI, for running
 * the webhook server outside a cluster. The API server verifies the webhook against the CA given
 * in the registration's caBundle, exactly as it does in a cluster.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ServingCert {
  keyPath: string;
  certPath: string;
  caPem: string;
}

export function ensureServingCert(dir: string, host = "127.0.0.1"): ServingCert {
  mkdirSync(dir, { recursive: true });
  const p = (f: string) => join(dir, f);
  if (!existsSync(p("tls.crt")) || !existsSync(p("ca.crt"))) {
    const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl("req", "-x509", ...ec, "-keyout", p("ca.key"), "-out", p("ca.crt"), "-days", "3650", "-subj", "/CN=lodestone-local-ca");
    openssl("req", ...ec, "-keyout", p("tls.key"), "-out", p("tls.csr"), "-subj", `/CN=${host}`);
    const san = /^[\d.]+$|:/.test(host) ? `IP:${host}` : `DNS:${host}`;
    writeFileSync(p("san.ext"), `subjectAltName=${san},DNS:localhost\n`);
    openssl("x509", "-req", "-in", p("tls.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-CAcreateserial", "-out", p("tls.crt"), "-days", "3650", "-extfile", p("san.ext"));
  }
  return { keyPath: p("tls.key"), certPath: p("tls.crt"), caPem: readFileSync(p("ca.crt"), "utf8") };
}

/**
 * The webhook certificate check against certificates shaped as Pepr 1.1.4 makes them (genTLS in
 * node_modules/pepr/src/lib/tls.ts, with node-forge, a dependency of pepr): a CA and a serving
 * certificate that both have an empty subject, the serving one an empty issuer too, no key identifiers.
 */
import { X509Certificate } from "node:crypto";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { bundleCertificates, webhookCertificateError } from "./webhook-tls";

interface ForgeCert {
  publicKey: unknown;
  serialNumber: string;
  validity: { notBefore: Date; notAfter: Date };
  subject: { attributes: unknown[] };
  setExtensions(ext: unknown[]): void;
  setIssuer(attrs: unknown[]): void;
  sign(key: unknown, md: unknown): void;
}
interface Forge {
  pki: {
    rsa: { generateKeyPair(bits: number): { publicKey: unknown; privateKey: unknown } };
    createCertificate(): ForgeCert;
    certificateToPem(c: ForgeCert): string;
  };
  md: { sha256: { create(): unknown } };
}
const forge = createRequire(require.resolve("pepr"))("node-forge") as Forge;

/** genTLS(name) of pepr 1.1.4, step for step (valid for a year from `validFrom`). */
function peprTLS(name: string, validFrom = new Date()) {
  const genCert = (key: { publicKey: unknown }, issuer: unknown[]) => {
    const crt = forge.pki.createCertificate();
    crt.publicKey = key.publicKey;
    crt.serialNumber = "01";
    crt.validity.notBefore = new Date(validFrom);
    crt.validity.notAfter = new Date(validFrom);
    crt.validity.notAfter.setFullYear(validFrom.getFullYear() + 1);
    crt.setExtensions([{ name: "subjectAltName", altNames: [{ type: 2, value: name }] }]);
    crt.setIssuer(issuer);
    return crt;
  };
  const caKeys = forge.pki.rsa.generateKeyPair(2048);
  const caCert = genCert(caKeys, [{ name: "commonName", value: "Pepr Ephemeral CA" }]);
  caCert.setExtensions([{ name: "basicConstraints", cA: true }, { name: "keyUsage", keyCertSign: true, digitalSignature: true }]);
  const serverKeys = forge.pki.rsa.generateKeyPair(2048);
  const serverCert = genCert(serverKeys, caCert.subject.attributes);
  caCert.sign(caKeys.privateKey, forge.md.sha256.create());
  serverCert.sign(caKeys.privateKey, forge.md.sha256.create());
  return { ca: forge.pki.certificateToPem(caCert), crt: new X509Certificate(forge.pki.certificateToPem(serverCert)) };
}

describe("webhookCertificateError", () => {
  const svc = "pepr-lodestone.pepr-system.svc";
  const pepr = peprTLS(svc);

  it("accepts Pepr's serving certificate for the Service's name, which OpenSSL would call self-signed", () => {
    // Node reports an empty name as undefined.
    // Empty names: Node 20 reports them as undefined, Node 24 as "".
    expect([pepr.crt.subject ?? "", pepr.crt.issuer ?? ""]).toEqual(["", ""]);
    expect(webhookCertificateError(pepr.crt, bundleCertificates(pepr.ca), svc)).toBeUndefined();
  });

  it("refuses it under another CA, for another name, and outside its validity, with Go's words", () => {
    const other = peprTLS(svc);
    expect(webhookCertificateError(pepr.crt, bundleCertificates(other.ca), svc)).toBe("x509: certificate signed by unknown authority");
    expect(webhookCertificateError(pepr.crt, bundleCertificates(pepr.ca), "pepr-lodestone.default.svc")).toBe(
      "x509: certificate is valid for pepr-lodestone.pepr-system.svc, not pepr-lodestone.default.svc",
    );
    const later = new Date(Date.now() + 2 * 366 * 24 * 3600 * 1000);
    expect(webhookCertificateError(pepr.crt, bundleCertificates(pepr.ca), svc, later)).toMatch(
      /^x509: certificate has expired or is not yet valid: current time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ is after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
  });

  it("finds the signer among several certificates of a bundle", () => {
    const other = peprTLS(svc);
    expect(webhookCertificateError(pepr.crt, bundleCertificates(`${other.ca}\n${pepr.ca}`), svc)).toBeUndefined();
  });
});

/**
 * How kube-apiserver checks a webhook's serving certificate against the registration's `caBundle`:
 * with Go's crypto/x509 (Certificate.Verify), not OpenSSL. The difference matters for Pepr's
 * certificates (`pepr build` 1.1.4): the serving certificate has an empty subject and an empty issuer,
 * and the CA has an empty subject. Go finds the CA as the parent by name (empty issuer == empty
 * subject) and checks the signature; OpenSSL takes a leaf whose issuer equals its subject for a
 * self-signed one and refuses it ("self-signed certificate"), so Node's own verification cannot stand in.
 *
 * Checked, as Go does for a chain of one: a bundle certificate whose subject is the leaf's issuer and
 * whose key signed the leaf; the leaf's validity period; the DNS name the server was dialled by
 * (`<service>.<namespace>.svc`, or the URL's host). Messages are those of Go 1.19 (crypto/x509 verify.go),
 * which builds kube-apiserver v1.26.0 (recordings/01-discovery.md, /version).
 */
import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function bundleCertificates(caPem: string): X509Certificate[] {
  return (caPem.match(PEM) ?? []).map(pem => new X509Certificate(pem));
}

/** Why Go's Verify would refuse `leaf` for `host`, or undefined when it accepts it. */
export function webhookCertificateError(leaf: X509Certificate, roots: readonly X509Certificate[], host: string, now = new Date()): string | undefined {
  const signedByRoot = roots.some(root => root.raw.equals(leaf.raw) || ((root.subject ?? "") === (leaf.issuer ?? "") && leaf.verify(root.publicKey)));
  if (!signedByRoot) return "x509: certificate signed by unknown authority";
  const from = new Date(leaf.validFrom);
  const to = new Date(leaf.validTo);
  if (now < from) return `x509: certificate has expired or is not yet valid: current time ${rfc3339(now)} is before ${rfc3339(from)}`;
  if (now > to) return `x509: certificate has expired or is not yet valid: current time ${rfc3339(now)} is after ${rfc3339(to)}`;
  const ip = isIP(host) !== 0;
  const matches = ip ? leaf.checkIP(host) !== undefined : leaf.checkHost(host, { subject: "never" }) !== undefined;
  if (!matches) {
    // Go's HostnameError: the certificate's IP SANs for an IP, its DNS SANs for a name.
    const sans = (leaf.subjectAltName ?? "").split(", ");
    const prefix = ip ? "IP Address:" : "DNS:";
    const valid = sans.filter(n => n.startsWith(prefix)).map(n => n.slice(prefix.length));
    if (ip && valid.length === 0) return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`;
    if (valid.length === 0) return `x509: certificate is not valid for any names, but wanted to match ${host}`;
    return `x509: certificate is valid for ${valid.join(", ")}, not ${host}`;
  }
  return undefined;
}

const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

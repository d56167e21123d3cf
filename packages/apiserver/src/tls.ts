/**
 * The serving PKI of `keelson up`: a self-signed CA and a serving certificate for 127.0.0.1,
 * ::1 and localhost, made on first start and kept under `<dir>/pki/` so kubeconfigs written
 * earlier keep working. Keys come from Node's crypto (fast, native); node-forge only builds
 * the X.509 structures, which Node cannot.
 */
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';

export interface ServingCertificates {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

function newRsaKey(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function serial(): string {
  // Positive, 16 bytes: the high bit cleared so DER does not read it as negative.
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return b.toString('hex');
}

function issue(opts: {
  subjectCN: string;
  publicPem: string;
  signerKeyPem: string;
  issuer?: forge.pki.Certificate;
  isCA: boolean;
  hosts?: string[];
  years: number;
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(opts.publicPem);
  cert.serialNumber = serial();
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000); // tolerate small clock skew
  cert.validity.notAfter = new Date(now.getTime() + opts.years * 365 * 24 * 3600_000);
  const subject = [{ name: 'commonName', value: opts.subjectCN }];
  cert.setSubject(subject);
  cert.setIssuer(opts.issuer ? opts.issuer.subject.attributes : subject);
  const extensions: any[] = [
    { name: 'basicConstraints', cA: opts.isCA, critical: true },
    opts.isCA
      ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
  ];
  if (!opts.isCA) {
    extensions.push({ name: 'extKeyUsage', serverAuth: true });
    const altNames = (opts.hosts ?? []).map((h) => (/^[\d.]+$/.test(h) || h.includes(':') ? { type: 7, ip: h } : { type: 2, value: h }));
    extensions.push({ name: 'subjectAltName', altNames });
  } else {
    extensions.push({ name: 'subjectKeyIdentifier' });
  }
  cert.setExtensions(extensions);
  cert.sign(forge.pki.privateKeyFromPem(opts.signerKeyPem), forge.md.sha256.create());
  return cert;
}

export function generateServingCertificates(
  hosts: string[] = ['127.0.0.1', '::1', 'localhost'],
  existingCa?: { caCertPem: string; caKeyPem: string },
): ServingCertificates & { caKeyPem: string } {
  // Re-issuing the serving certificate keeps an existing CA, so kubeconfigs handed out earlier stay valid.
  const caKey = existingCa ? { privatePem: existingCa.caKeyPem } : newRsaKey();
  const ca = existingCa
    ? forge.pki.certificateFromPem(existingCa.caCertPem)
    : issue({ subjectCN: 'keelson-ca', publicPem: (caKey as { publicPem: string }).publicPem, signerKeyPem: caKey.privatePem, isCA: true, years: 10 });
  const serverKey = newRsaKey();
  const server = issue({
    subjectCN: 'keelson-apiserver',
    publicPem: serverKey.publicPem,
    signerKeyPem: caKey.privatePem,
    issuer: ca,
    isCA: false,
    hosts,
    years: 10,
  });
  return {
    caCertPem: forge.pki.certificateToPem(ca),
    caKeyPem: caKey.privatePem,
    certPem: forge.pki.certificateToPem(server),
    keyPem: serverKey.privatePem,
  };
}

/**
 * Loads `<dir>/pki/{ca.crt,apiserver.crt,apiserver.key}`, creating them when absent, or when
 * the serving certificate has expired or lacks one of `hosts`.
 */
export function ensureServingCertificates(dir: string, hosts: string[] = ['127.0.0.1', '::1', 'localhost']): ServingCertificates {
  const pki = join(dir, 'pki');
  const files = { ca: join(pki, 'ca.crt'), caKey: join(pki, 'ca.key'), cert: join(pki, 'apiserver.crt'), key: join(pki, 'apiserver.key') };
  if (existsSync(files.ca) && existsSync(files.cert) && existsSync(files.key)) {
    const certPem = readFileSync(files.cert, 'utf8');
    const x = new X509Certificate(certPem);
    const fresh = new Date(x.validTo).getTime() > Date.now() + 24 * 3600_000;
    // checkIP/checkHost, not a search of the SAN text: Node prints ::1 as 0:0:0:0:0:0:0:1, so a
    // text search never matched it and every start made a new CA, breaking earlier kubeconfigs.
    const covers = hosts.every((h) => (isIP(h) ? x.checkIP(h) !== undefined : x.checkHost(h) !== undefined));
    if (fresh && covers) return { caCertPem: readFileSync(files.ca, 'utf8'), certPem, keyPem: readFileSync(files.key, 'utf8') };
  }
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  let existingCa: { caCertPem: string; caKeyPem: string } | undefined;
  if (existsSync(files.ca) && existsSync(files.caKey)) {
    const caCertPem = readFileSync(files.ca, 'utf8');
    if (new Date(new X509Certificate(caCertPem).validTo).getTime() > Date.now() + 24 * 3600_000) {
      existingCa = { caCertPem, caKeyPem: readFileSync(files.caKey, 'utf8') };
    }
  }
  const made = generateServingCertificates(hosts, existingCa);
  writeFileSync(files.ca, made.caCertPem);
  writeFileSync(files.caKey, made.caKeyPem, { mode: 0o600 });
  writeFileSync(files.cert, made.certPem);
  writeFileSync(files.key, made.keyPem, { mode: 0o600 });
  return { caCertPem: made.caCertPem, certPem: made.certPem, keyPem: made.keyPem };
}

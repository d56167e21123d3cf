/**
 * Secret builders (SDS): a certificate with its key, or a CA bundle to validate peers with.
 *
 * ```ts
 * tlsCertificateSecret({ name: 'server-cert', certificateChain: certPem, privateKey: keyPem });
 * validationContextSecret({ name: 'mesh-ca', trustedCa: caPem });
 * ```
 */
import type { Message } from '../cache/resource.js';

export function tlsCertificateSecret(opts: { name: string; certificateChain: string; privateKey: string }): Message {
  return {
    name: opts.name,
    tls_certificate: { certificate_chain: { inline_string: opts.certificateChain }, private_key: { inline_string: opts.privateKey } },
  };
}

export function validationContextSecret(opts: { name: string; trustedCa: string }): Message {
  return { name: opts.name, validation_context: { trusted_ca: { inline_string: opts.trustedCa } } };
}

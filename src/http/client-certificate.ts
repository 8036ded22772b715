import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';

/**
 * The SHA-256 thumbprint (base64url, RFC 8705's `x5t#S256`) of the client certificate the request
 * came over, when the TLS handshake verified it against the configured client CA; undefined over
 * plain HTTP, without a certificate, or with one the CA did not issue.
 */
export function clientCertificateThumbprint(request: FastifyRequest): string | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function' || socket.authorized !== true) return undefined;
  const certificate = socket.getPeerCertificate(false);
  if (!certificate?.raw) return undefined;
  return createHash('sha256').update(certificate.raw).digest('base64url');
}

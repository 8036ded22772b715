import { readFile } from 'node:fs/promises';
import { importPKCS8, type CryptoKey } from 'jose';
import { gatewayUrl } from '../../config.ts';

/** A Google service account, as the FCM notifier uses it: the private key imported, never kept as text. */
export interface ServiceAccount {
  projectId: string;
  clientEmail: string;
  /** The `kid` of the grant's header, when the file names its key. */
  privateKeyId?: string;
  /** RS256 signing key (not extractable). */
  privateKey: CryptoKey;
  /** The OAuth token endpoint the grant is posted to. */
  tokenUri: string;
}

const VARIABLE = 'FCM_SERVICE_ACCOUNT_FILE';

/**
 * Reads a standard service-account JSON file (`type: "service_account"`, `project_id`, `client_email`,
 * `private_key` as PEM PKCS#8, `private_key_id`, `token_uri`). Errors name FCM_SERVICE_ACCOUNT_FILE and
 * the field at fault, and never repeat the file's content (JSON.parse's own message quotes it).
 */
export async function loadServiceAccount(file: string): Promise<ServiceAccount> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new Error(`${VARIABLE} ${file} cannot be read${code ? ` (${code})` : ''}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${VARIABLE} ${file} is not JSON (a service-account key file from the Google Cloud console is)`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${VARIABLE} ${file} is not a JSON object`);
  const fields = json as Record<string, unknown>;
  if (fields.type !== 'service_account') throw new Error(`${VARIABLE} ${file} is not a service-account key (its "type" must be "service_account")`);
  const field = (name: string): string => {
    const value = fields[name];
    if (typeof value !== 'string' || value.trim() === '') throw new Error(`${VARIABLE} ${file} has no "${name}"`);
    return value;
  };
  const projectId = field('project_id');
  const clientEmail = field('client_email');
  const pem = field('private_key');
  const tokenUri = gatewayUrl(`"token_uri" in ${VARIABLE} ${file}`, field('token_uri'));
  const privateKeyId = typeof fields.private_key_id === 'string' && fields.private_key_id ? fields.private_key_id : undefined;
  // It becomes a path segment of the FCM URL; older projects may carry a `domain:` prefix.
  if (!/^[A-Za-z0-9][A-Za-z0-9.:_-]{0,99}$/.test(projectId)) throw new Error(`${VARIABLE} ${file} has a "project_id" that is not a Google Cloud project id`);
  let privateKey: CryptoKey;
  try {
    privateKey = await importPKCS8(pem, 'RS256');
  } catch {
    throw new Error(`${VARIABLE} ${file} has a "private_key" that is not a PEM PKCS#8 RSA private key`);
  }
  return { projectId, clientEmail, ...(privateKeyId ? { privateKeyId } : {}), privateKey, tokenUri };
}

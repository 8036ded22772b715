import { request } from 'node:https';

/** What a TLS client presents and trusts: the CA that issued the server's certificate, and optionally its own certificate and key. */
export interface TlsIdentity {
  ca: string;
  cert?: string;
  key?: string;
}

export interface TlsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, any>>(): T;
}

/**
 * One HTTPS request with a client certificate of the test's choosing (fetch cannot present one).
 * A fresh connection each time (`agent: false`), so no TLS session of another identity is reused.
 */
export function httpsRequest(
  url: string,
  identity: TlsIdentity,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {}, ca: identity.ca, cert: identity.cert, key: identity.key, agent: false, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

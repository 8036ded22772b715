import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Interaction } from 'oidc-provider';

/** The eIDAS LoA URIs: the ledger's default OIDC_ACR_VALUES. */
export const ACR = {
  low: 'http://eidas.europa.eu/LoA/low',
  substantial: 'http://eidas.europa.eu/LoA/substantial',
  high: 'http://eidas.europa.eu/LoA/high',
} as const;

export interface TestOpenIdProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Every interaction the OP started (a login prompt is `prompt.name === 'login'`), oldest first. */
  interactions: Interaction[];
  close(): Promise<void>;
}

/**
 * A real OpenID Provider (the `oidc-provider` package) with its own small login page: the account
 * is typed in, the means' `acr` chosen, and `authenticatedSecondsAgo` lets a test make the OP
 * report an earlier authentication. Consent for `openid` is granted at login (a first-party client).
 * `port` and `clientSecret`: for a ledger configured before the OP started (pointed at a port where nothing listened yet).
 */
export async function startOpenIdProvider(options: { redirectUri: string; port?: number; clientSecret?: string }): Promise<TestOpenIdProvider> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const issuer = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const clientId = 'act-ledger';
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
        // So an ID token answered from the OP's session still says when the person authenticated.
        require_auth_time: true,
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'op-key', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    acrValues: Object.values(ACR),
    claims: { openid: ['sub'] },
    features: { devInteractions: { enabled: false } },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    pkce: { required: () => true },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, accountId: string) => ({ accountId, claims: () => ({ sub: accountId }) }),
  });
  const interactions: Interaction[] = [];
  const oidcHandler = provider.callback();

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', issuer);
    const match = /^\/interaction\/([\w-]+)(\/login|\/cancel)?$/.exec(url.pathname);
    if (!match) return oidcHandler(req, res);
    const handle =
      match[2] === '/login'
        ? login(req, res, clientId)
        : match[2] === '/cancel'
          ? provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the person cancelled' }, { mergeWithLastSubmission: false })
          : showLogin(req, res);
    handle.catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });

  async function showLogin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    interactions.push(details);
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><title>Sign in</title><h1>Sign in (${details.prompt.name})</h1>
<form method="post" action="/interaction/${details.uid}/login">
<input name="login" autocomplete="username"><input name="password" type="password">
<select name="acr">${Object.values(ACR).map((acr) => `<option>${acr}</option>`).join('')}</select>
<input type="hidden" name="authenticatedSecondsAgo" value="0">
<button>Sign in</button></form>
<form method="post" action="/interaction/${details.uid}/cancel"><button>Cancel</button></form>`);
  }

  async function login(req: IncomingMessage, res: ServerResponse, client: string): Promise<void> {
    const form = new URLSearchParams(await body(req));
    const accountId = form.get('login') ?? '';
    const grant = new provider.Grant({ accountId, clientId: client });
    grant.addOIDCScope('openid');
    const grantId = await grant.save();
    const ts = Math.floor(Date.now() / 1000) - Number(form.get('authenticatedSecondsAgo') ?? 0);
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId, acr: form.get('acr') ?? ACR.low, amr: ['pwd'], ts }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  }

  return {
    issuer,
    clientId,
    clientSecret,
    interactions,
    close: () => closeServer(server),
  };
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (data += chunk)).on('end', () => resolve(data)).on('error', reject);
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

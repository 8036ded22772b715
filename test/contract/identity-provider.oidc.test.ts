import { expect } from 'vitest';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { SqliteCitizenRegistry } from '../../src/adapters/sqlite/citizen-registry.ts';
import { OIDC_SECTOR, OidcIdentityProvider } from '../../src/adapters/identity/oidc.ts';
import { ACR, startOpenIdProvider } from '../support/openid-provider.ts';
import { HttpBrowser } from '../support/http-browser.ts';
import { JANA, PETR, identityProviderContract } from './identity-provider.contract.ts';

const ACCOUNTS = { [JANA]: 'op-jana', [PETR]: 'op-petr' } as const;

identityProviderContract('OpenID Provider (oidc-provider)', async () => {
  // Never requested: the browser stops when it is sent there.
  const callbackUrl = 'http://127.0.0.1:9/authorize/callback';
  const op = await startOpenIdProvider({ redirectUri: callbackUrl });
  const db = openSqlite(':memory:');
  const citizens = new SqliteCitizenRegistry(db);
  await citizens.remember(OIDC_SECTOR, ACCOUNTS[JANA], JANA);
  await citizens.remember(OIDC_SECTOR, ACCOUNTS[PETR], PETR);
  const idp = new OidcIdentityProvider({ issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, acrValues: ACR });
  const atCallback = (url: URL) => url.href.startsWith(callbackUrl);

  return {
    idp,
    callbackUrl,
    act: async (redirectUrl, action) => {
      const browser = new HttpBrowser();
      const { url, response } = await browser.follow(redirectUrl, atCallback);
      expect(url.pathname).toMatch(/^\/interaction\//);
      const html = await response!.text();
      const form = action === 'cancel' ? /action="([^"]+\/cancel)"/.exec(html) : /action="([^"]+\/login)"/.exec(html);
      const posted = await browser.postForm(new URL(form![1]!, url).href, action === 'cancel' ? {} : { login: ACCOUNTS[action.aifo], acr: ACR[action.loa], authenticatedSecondsAgo: '0' });
      const back = await browser.follow(new URL(posted.headers.get('location')!, url).href, atCallback);
      return Object.fromEntries(back.url.searchParams);
    },
    resolve: (identity) => citizens.resolve(identity.sector, identity.subject),
    cleanup: async () => {
      db.close();
      await op.close();
    },
  };
});

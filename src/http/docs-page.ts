import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifySwaggerUiOptions } from '@fastify/swagger-ui';

const ASSETS = fileURLToPath(new URL('./assets', import.meta.url));
const asset = (name: string) => readFileSync(`${ASSETS}/${name}`);

/**
 * /docs: Swagger UI dressed as the ledger's (title, colours, name in the top bar, the ledger's icon),
 * readable on a phone, under a CSP of its own: scripts from the ledger only (no inline script), no
 * third-party image (Swagger UI's validator badge is off). Its React code sets style attributes,
 * which only 'unsafe-inline' for styles allows; styles cannot run code.
 */
export const docsPageOptions: FastifySwaggerUiOptions = {
  routePrefix: '/docs',
  uiConfig: { deepLinking: true, validatorUrl: null, defaultModelsExpandDepth: 0, docExpansion: 'list' },
  staticCSP:
    "default-src 'self'; base-uri 'self'; connect-src 'self'; font-src 'self' data:; form-action 'self'; frame-ancestors 'none'; " +
    "img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'",
  theme: {
    title: 'Act ledger API · Národní bod',
    css: [{ filename: 'docs-theme.css', content: asset('docs/docs-theme.css').toString('utf8') }],
    js: [{ filename: 'docs-brand.js', content: asset('docs/docs-brand.js').toString('utf8') }],
    favicon: [{ filename: 'favicon.svg', rel: 'icon', sizes: 'any', type: 'image/svg+xml', content: asset('favicon.svg') }],
  },
};

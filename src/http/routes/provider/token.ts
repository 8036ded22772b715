import formbody from '@fastify/formbody';
import { AssertionRefusedError, CLIENT_ASSERTION_TYPE } from '../../../app/providers/client-assertions.ts';
import { routeGroup } from '../../route-group.ts';
import { HttpProblem } from '../../problems.ts';
import { problemResponses } from '../../problem-docs.ts';
import { TOKEN_PATH } from '../../../paths.ts';
import { isAdminId } from '../../../../events/admin.ts';
import { TransportRefusedError } from '../../../app/providers/act-as-grants.ts';
import { transportProblem } from '../../auth.ts';
import { clientCertificateThumbprint } from '../../client-certificate.ts';
import { OPENAPI_EXAMPLES } from '../../openapi-examples.ts';

/** The token request's fields (client credentials with a private-key JWT, RFC 7523). */
const tokenRequest = {
  type: 'object',
  required: ['grant_type', 'client_assertion_type', 'client_assertion'],
  properties: {
    grant_type: { type: 'string', enum: ['client_credentials'] },
    client_assertion_type: { type: 'string', enum: [CLIENT_ASSERTION_TYPE] },
    client_assertion: { type: 'string', minLength: 1, maxLength: 8192, description: 'The signed JWT: `iss` = `sub` = providerId (or adminId), `aud` = this endpoint\'s URL' },
    scope: { type: 'string', maxLength: 200 },
  },
  additionalProperties: false,
} as const;

/** POST /api/v1/token: RFC 7523 client assertion in, ActAs access token out. */
export const tokenRoutes = routeGroup(['config', 'clientAssertions', 'actAsGrants', 'adminTokens'], async (app, { services }) => {
  // OAuth clients send form-encoded token requests (RFC 6749); the API's other routes take JSON only.
  await app.register(formbody, { bodyLimit: services.config.bodyLimit });
  app.post(
    TOKEN_PATH,
    {
      config: { rateLimit: { max: 300, timeWindow: '1 minute' } },
      schema: {
        tags: ['provider'],
        operationId: 'issueToken',
        security: [],
        summary: 'Get an ActAs access token (providers) or an admin access token (named admins)',
        description:
          'Client credentials with a private-key JWT (RFC 7523). The `client_assertion` is a JWT signed by one of the provider\'s ' +
          'registered signing certificates, named in its header by `x5t#S256` (or `kid` = the certificate\'s id or thumbprint), with ' +
          'the algorithm its key pins (ES256/ES384/ES512 by curve, PS256 for RSA, EdDSA); in the simulator also with ES256 or EdDSA ' +
          'by one of the provider\'s plain keys (`kid`). Claims: `iss` = `sub` = providerId, `aud` = this endpoint\'s absolute URL, ' +
          '`exp` at most 5 minutes ahead, `iat`, and a `jti` that is never reused. The body is form-encoded ' +
          '(`application/x-www-form-urlencoded`, as OAuth clients send it) or JSON, with the same fields. ' +
          'A token is issued only to a provider with access to this ledger\'s environment: inside its support window in the ' +
          'simulator and integration, activated in production (otherwise 403 `environment-access-missing`, ' +
          '`environment-access-expired` or `production-not-activated`). Over mutual TLS the request must come with one of the ' +
          'provider\'s registered transport certificates, and the token is bound to it (`cnf.x5t#S256`, RFC 8705). ' +
          'A named admin does the same with its adminId (`adm_...`) and one of its keys, and gets an admin access token ' +
          '(typ admin+jwt, audience `<public URL>/api/v1/admin`, 5 minutes) that only the admin API accepts.',
        body: {
          // The same fields either way: OAuth clients send a form (RFC 6749 section 4.4), others may send JSON.
          content: {
            'application/x-www-form-urlencoded': { schema: { ...tokenRequest, examples: [OPENAPI_EXAMPLES.tokenRequest] } },
            'application/json': { schema: { ...tokenRequest, examples: [OPENAPI_EXAMPLES.tokenRequest] } },
          },
        },
        response: {
          200: {
            description: 'ActAs token: a JWT (typ at+jwt, EdDSA) signed by the ledger; keys at /.well-known/jwks.json. For an admin: typ admin+jwt.',
            type: 'object',
            examples: [OPENAPI_EXAMPLES.tokenResponse],
            required: ['access_token', 'token_type', 'expires_in'],
            properties: {
              access_token: { type: 'string' },
              token_type: { type: 'string', enum: ['Bearer'] },
              expires_in: { type: 'integer', description: 'seconds' },
            },
          },
          ...problemResponses('invalid-client', 'environment-access-missing', 'environment-access-expired', 'production-not-activated', 'client-certificate-required', 'client-certificate-unknown', 'token-certificate-mismatch'),
        },
      },
    },
    async (request, reply) => {
      const { body } = request;
      // Validation is per media type: a request with no body (or none of these types) reaches here unchecked.
      if (typeof body !== 'object' || body === null) throw new HttpProblem('invalid-request', 'send the token request form-encoded or as JSON');
      let clientId: string;
      try {
        clientId = await services.clientAssertions.verify(body.client_assertion);
      } catch (error) {
        if (!(error instanceof AssertionRefusedError)) throw error;
        request.log.info({ reason: error.reason }, 'client assertion refused');
        if (error.reason === 'malformed') throw new HttpProblem('invalid-request', error.message, { reason: error.reason });
        throw new HttpProblem('invalid-client', error.message, { reason: error.reason });
      }
      // Admin ids (adm_...) and provider ids never overlap: the id alone says which token to issue.
      let issued: { token: string; expiresIn: number };
      try {
        issued = isAdminId(clientId) ? await services.adminTokens.issue(clientId) : await services.actAsGrants.issue(clientId, clientCertificateThumbprint(request));
      } catch (error) {
        if (error instanceof TransportRefusedError) throw transportProblem(error);
        throw error;
      }
      const { token, expiresIn } = issued;
      reply.header('cache-control', 'no-store');
      return { access_token: token, token_type: 'Bearer' as const, expires_in: expiresIn };
    },
  );
});

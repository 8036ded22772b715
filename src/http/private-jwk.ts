import type { preValidationHookHandler } from 'fastify';
import { privateKeyMember } from '../app/citizens/citizen-input.ts';
import { HttpProblem } from './problems.ts';

/** The public keys a request body carries, each with its JSON pointer. */
export type KeysInBody = (body: unknown) => Array<{ key: unknown; pointer: string }>;

/**
 * Refuses a private key member (`d`, and RSA's or a symmetric key's) by name, before the schema
 * would call it merely an unknown member: whoever pasted a whole key pair learns what went wrong.
 * `who` says who registers the key ("a provider", "a device").
 */
export function refusePrivateJwk(keysOf: KeysInBody, who: string): preValidationHookHandler {
  return (request, _reply, done) => {
    for (const { key, pointer } of keysOf(request.body)) {
      const member = privateKeyMember(key, pointer);
      if (member) {
        return done(
          new HttpProblem('invalid-request', `${member}: ${who} registers its public key only, never the private part (drop "${member.split('/').pop()}")`, {
            errors: [{ in: 'body', pointer: member, message: 'private key member' }],
          }),
        );
      }
    }
    done();
  };
}

/** `body.jwks.keys[i]`, as the provider and admin registrations carry them. */
export const keysOfJwks: KeysInBody = (body) => {
  const keys = (body as { jwks?: { keys?: unknown } } | null)?.jwks?.keys;
  return Array.isArray(keys) ? keys.map((key, i) => ({ key, pointer: `/jwks/keys/${i}` })) : [];
};

/** `body.jwk`, as a key added later carries it. */
export const keyOfJwk: KeysInBody = (body) => [{ key: (body as { jwk?: unknown } | null)?.jwk, pointer: '/jwk' }];

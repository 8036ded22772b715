/**
 * What an operator may put in the citizen registry, as JSON Schema: the admin citizen API publishes
 * these schemas and checks bodies against them, and `ledger citizens import` checks each line
 * against the same ones, so a person the API refuses is refused by the import too.
 */

/** An AIFO: the national point's internal id of a person. Plain and short, since it names records and paths. */
export const AIFO_PATTERN = '^[A-Za-z0-9._:-]{1,64}$';

export const aifoSchema = {
  type: 'string',
  pattern: AIFO_PATTERN,
  description: 'The person\'s AIFO: 1 to 64 characters of A-Z, a-z, 0-9 and . _ : -',
} as const;

/** A device id as the registry makes them (`mk-` and a digest of the FCM token), or a test person's. */
export const deviceIdSchema = { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,100}$' } as const;

/** Text shown to admins: no control characters, no bidirectional overrides (they could make it read as something else). */
const shownText = (maxLength: number) =>
  ({ type: 'string', minLength: 1, maxLength, pattern: '^[^\\u0000-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069]+$' }) as const;

const citizenFieldProperties = {
  displayName: { ...shownText(100), description: 'Shown in admin answers only; the AIFO when never given' },
  country: { type: 'string', pattern: '^[A-Z]{2}$', description: 'ISO 3166 alpha-2; a person of another country than the home country authenticates at the international gateway' },
  phone: { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$', description: 'E.164; absent: no phone on file (an upsert without it removes the phone)' },
  phoneVerified: { type: 'boolean' },
  phoneAllowed: { type: 'boolean', description: 'The person allowed this phone for authorization codes' },
  identitySubject: {
    ...shownText(255),
    description:
      "The person's subject (`sub`) at the OpenID Provider the ledger authenticates citizens with (LEDGER_IDENTITY_PROVIDER=oidc): " +
      'an authentication there is this person. Linked once and for good: a subject linked to another person is refused, and ' +
      'leaving it out later keeps the link.',
  },
} as const;

/** The body of `PUT /api/v1/admin/citizens/{aifo}`: the person's fields, devices aside. */
export const citizenFieldsSchema = {
  type: 'object',
  required: ['country', 'phoneVerified', 'phoneAllowed'],
  properties: citizenFieldProperties,
  additionalProperties: false,
} as const;

/** A device's public key for end-to-end encrypted codes: an EC P-256 JWK, public part only. */
export const devicePublicKeySchema = {
  type: 'object',
  description: 'EC P-256 public JWK; codes for the device travel as a JWE to it (ECDH-ES+A256KW, A256GCM). A private key (d) is refused.',
  required: ['kty', 'crv', 'x', 'y'],
  properties: {
    kty: { type: 'string', enum: ['EC'] },
    crv: { type: 'string', enum: ['P-256'] },
    x: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
    y: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
    kid: { type: 'string', minLength: 1, maxLength: 200 },
    alg: { type: 'string', enum: ['ECDH-ES+A256KW'] },
    use: { type: 'string', enum: ['enc'] },
  },
  additionalProperties: false,
} as const;

/** The body of `POST /api/v1/admin/citizens/{aifo}/mobile-keys`. */
export const mobileKeySchema = {
  type: 'object',
  required: ['fcmToken', 'label'],
  properties: {
    fcmToken: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^[\\x21-\\x7E]+$', description: 'The installation\'s FCM registration token; the same token again is the same device' },
    label: shownText(100),
    publicKey: devicePublicKeySchema,
  },
  additionalProperties: false,
} as const;

/** Devices one person may have listed on one import line. */
export const MAX_MOBILE_KEYS_PER_LINE = 20;

/** One line of `ledger citizens import`: a person's fields and devices. */
export const citizenImportLineSchema = {
  type: 'object',
  required: ['aifo', 'country', 'phoneVerified', 'phoneAllowed'],
  properties: {
    aifo: aifoSchema,
    ...citizenFieldProperties,
    mobileKeys: { type: 'array', maxItems: MAX_MOBILE_KEYS_PER_LINE, items: mobileKeySchema },
  },
  additionalProperties: false,
} as const;

/** What passes `devicePublicKeySchema`. */
export interface DevicePublicKeyInput {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid?: string;
  alg?: 'ECDH-ES+A256KW';
  use?: 'enc';
}

/** What passes `citizenFieldsSchema`. */
export interface CitizenFieldsInput {
  displayName?: string;
  country: string;
  phone?: string;
  phoneVerified: boolean;
  phoneAllowed: boolean;
  identitySubject?: string;
}

/** What passes `mobileKeySchema`. */
export interface MobileKeyInput {
  fcmToken: string;
  label: string;
  publicKey?: DevicePublicKeyInput;
}

/** What passes `citizenImportLineSchema`. */
export interface CitizenImportLine extends CitizenFieldsInput {
  aifo: string;
  mobileKeys?: MobileKeyInput[];
}

/**
 * A private key member in a device key, found before the schema is applied so the refusal says
 * what is wrong (the schema alone would only call it an unknown member). Answers its JSON pointer.
 */
export function privateKeyMember(publicKey: unknown, pointer: string): string | undefined {
  if (typeof publicKey !== 'object' || publicKey === null) return undefined;
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) if (member in publicKey) return `${pointer}/${member}`;
  return undefined;
}

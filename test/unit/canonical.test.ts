import { describe, expect, it } from 'vitest';
import { canonicalEventBytes, canonicalJson, NotCanonicalizableError } from '../../events/canonical.ts';

/** A double from its IEEE 754 bit pattern, as RFC 8785 Appendix B lists them. */
function double(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe('canonical JSON (RFC 8785)', () => {
  it('section 3.2.2: the sample with numbers, escapes and literals', () => {
    // Parsed from the RFC's own input text, escapes and all.
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], ' +
        '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    ) as unknown;
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('section 3.2.3: members sorted by UTF-16 code units, not by code point or locale', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const text = canonicalJson(input);
    expect(text).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('section 3.2.4: the UTF-8 bytes of the sample end as the RFC lists them', () => {
    const bytes = Buffer.from(new TextEncoder().encode(canonicalJson({ literals: [null, true, false], string: '\u20ac$\u000f\nA\'B"\\\\"/' })));
    expect(bytes.subarray(0, 20).toString('hex')).toBe('7b226c69746572616c73223a5b6e756c6c2c7472');
    expect(bytes.subarray(-26).toString('hex')).toBe('e282ac245c75303030665c6e4127425c225c5c5c5c5c222f227d');
  });

  const appendixB: Array<[string, string]> = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  it.each(appendixB)('appendix B: %s serializes as %s', (hex, text) => {
    expect(canonicalJson(double(hex))).toBe(text);
    expect(canonicalJson([double(hex)])).toBe(`[${text}]`);
  });

  it('appendix B: NaN and Infinity are errors, as are values JSON cannot hold', () => {
    for (const bad of [double('7fffffffffffffff'), double('7ff0000000000000'), -Infinity]) {
      expect(() => canonicalJson({ n: bad })).toThrow(NotCanonicalizableError);
    }
    expect(() => canonicalJson({ at: new Date(0) })).toThrow(NotCanonicalizableError);
    expect(() => canonicalJson([1, undefined])).toThrow(NotCanonicalizableError);
    expect(() => canonicalJson({ big: 1n })).toThrow(NotCanonicalizableError);
    expect(() => canonicalJson({ s: 'lone \ud800 surrogate' })).toThrow(NotCanonicalizableError);
  });

  it('nests: members of nested objects sorted, arrays kept in order, undefined members left out', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: 'x' }, 1], a: { d: null, c: undefined, b: false } })).toBe('{"a":{"b":false,"d":null},"b":[3,{"a":"x","z":1},1]}');
  });
});

describe('canonical event bytes', () => {
  const event = {
    streamName: 'act-1',
    revision: 4,
    position: 812,
    type: 'ActRegistered',
    data: { sealed: { v: 1, ct: 'AAAA' }, actId: '1' },
    metadata: { schemaVersion: 2, eventId: 'e-1', correlationId: 'c-1', occurredAt: '2026-11-20T08:00:00.000Z', actor: 'tax-office' },
  };

  it('are the JCS of streamName, type, data and metadata as stored, and nothing else', () => {
    const text = new TextDecoder().decode(canonicalEventBytes(event));
    expect(text).toBe(
      '{"data":{"actId":"1","sealed":{"ct":"AAAA","v":1}},"metadata":{"actor":"tax-office","correlationId":"c-1","eventId":"e-1","occurredAt":"2026-11-20T08:00:00.000Z","schemaVersion":2},"streamName":"act-1","type":"ActRegistered"}',
    );
  });

  it('do not depend on member order, position or revision; any change to what the event says changes them', () => {
    const reordered = { ...event, position: 9, revision: 0, metadata: { schemaVersion: 2, occurredAt: event.metadata.occurredAt, eventId: 'e-1', correlationId: 'c-1', actor: 'tax-office' }, data: { actId: '1', sealed: { ct: 'AAAA', v: 1 } } };
    expect(canonicalEventBytes(reordered)).toEqual(canonicalEventBytes(event));
    expect(canonicalEventBytes({ ...event, type: 'ActAuthorized' })).not.toEqual(canonicalEventBytes(event));
    expect(canonicalEventBytes({ ...event, data: { ...event.data, actId: '2' } })).not.toEqual(canonicalEventBytes(event));
  });
});

import autocannon from 'autocannon';

/** What one scenario asks autocannon to send. */
export interface LoadTarget {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Per-request shaping (a fresh body per request, for instance); runs in the timed loop, so keep it cheap. */
  setupRequest?: (request: autocannon.Request) => autocannon.Request;
  /** A sequence each connection sends in a loop (a whole flow), instead of one request. */
  requests?: autocannon.Request[];
}

export interface LoadSettings {
  durationS: number;
  connections: number;
}

export interface Measurement {
  /** 2xx answers in all. */
  ok: number;
  /** 2xx answers per second: refusals do not count as throughput. */
  okPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

/** One autocannon run against a loopback target, bounded by duration. */
export async function measure(target: LoadTarget, settings: LoadSettings): Promise<Measurement> {
  const result = await autocannon({
    url: target.url,
    connections: settings.connections,
    duration: settings.durationS,
    ...(target.method ? { method: target.method } : {}),
    ...(target.headers ? { headers: target.headers } : {}),
    ...(target.body !== undefined ? { body: target.body } : {}),
    ...(target.setupRequest ? { requests: [{ setupRequest: target.setupRequest }] } : {}),
    ...(target.requests ? { requests: target.requests } : {}),
  });
  return {
    ok: result['2xx'],
    okPerSecond: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

const ISO_DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Milliseconds of an ISO 8601 duration with days, hours, minutes and seconds (e.g. PT24H, P1DT30M). */
export function parseDuration(text: string): number {
  const m = ISO_DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) throw new Error(`not an ISO 8601 duration: ${text}`);
  const [, d, h, min, s] = m;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Math.round(Number(s ?? 0) * 1000);
}

/** The ISO 8601 form of a whole number of seconds; below two days in hours (PT24H, not P1D: a day of 24 hours, not a calendar day). */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms / 1000);
  const d = rest >= 2 * 86400 ? Math.floor(rest / 86400) : 0;
  rest -= d * 86400;
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  const time = `${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s ? `${s}S` : ''}`;
  if (!d && !time) return 'PT0S';
  return `P${d ? `${d}D` : ''}${time ? `T${time}` : ''}`;
}

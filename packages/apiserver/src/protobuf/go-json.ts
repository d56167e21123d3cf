/**
 * The JSON text Go writes for the apimachinery types that marshal themselves: metav1.Time,
 * metav1.MicroTime and metav1.Duration. Each returns undefined for a value Go could write but a
 * JS caller would get wrong, so the decoder can refuse it instead of storing something else.
 */

/** Seconds since the epoch of Go's zero time.Time (0001-01-01T00:00:00Z), which Time writes as null. */
export const GO_ZERO_TIME_UNIX = -62135596800;

/** Normalizes (seconds, nanos) the way time.Unix does, so nanos lands in [0, 1e9). */
export function normalizeUnix(seconds: number, nanos: number): { seconds: number; nanos: number } {
  if (nanos >= 0 && nanos < 1e9) return { seconds, nanos };
  const carry = Math.floor(nanos / 1e9);
  return { seconds: seconds + carry, nanos: nanos - carry * 1e9 };
}

/**
 * metav1.Time: RFC 3339 in UTC to the second (`2006-01-02T15:04:05Z`); metav1.MicroTime
 * (`micro`): six fractional digits (`2006-01-02T15:04:05.000000Z`). Years outside 1–9999
 * (which Go would write with a sign or five digits) give undefined.
 */
export function formatTime(seconds: number, nanos: number, micro: boolean): string | undefined {
  const n = normalizeUnix(seconds, nanos);
  const d = new Date(n.seconds * 1000);
  const year = d.getUTCFullYear();
  if (!Number.isFinite(d.getTime()) || year < 1 || year > 9999) return undefined;
  const p2 = (v: number) => String(v).padStart(2, '0');
  const base = `${String(year).padStart(4, '0')}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  return micro ? `${base}.${String(Math.floor(n.nanos / 1000)).padStart(6, '0')}Z` : `${base}Z`;
}

/**
 * time.Duration.String(): `1h2m3.5s`, `1.5ms`, `250µs`, `12ns`, `0s`; metav1.Duration writes
 * that string. Takes nanoseconds as a bigint since the full int64 range is valid.
 */
export function formatDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    // Below a second Go picks the unit so the integer part is non-zero.
    if (u < 1_000n) out = `${u}ns`;
    else if (u < 1_000_000n) out = `${fraction(u, 3)}µs`;
    else out = `${fraction(u, 6)}ms`;
  } else {
    let s = fraction(u, 9);
    // fraction() printed whole seconds; split them into hours and minutes as Go does.
    const dot = s.indexOf('.');
    const whole = BigInt(dot < 0 ? s : s.slice(0, dot));
    const frac = dot < 0 ? '' : s.slice(dot);
    u = whole;
    const h = u / 3600n;
    const m = (u / 60n) % 60n;
    s = `${u % 60n}${frac}s`;
    out = h > 0n ? `${h}h${m}m${s}` : m > 0n ? `${m}m${s}` : s;
  }
  return neg ? `-${out}` : out;
}

/** v / 10^digits with the fraction's trailing zeros (and a bare '.') dropped, as Go's fmtFrac. */
function fraction(v: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const whole = v / scale;
  const frac = (v % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

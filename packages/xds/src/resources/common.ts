/**
 * Small pieces the builders share: durations, percentages, config sources.
 */
import type { Message } from '../cache/resource.js';

/** `google.protobuf.Duration` from milliseconds. */
export function duration(ms: number): { seconds: number; nanos: number } {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`duration ${ms} ms: use a finite number of milliseconds >= 0`);
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/**
 * `envoy.type.v3.FractionalPercent` from a percentage (0–100, fractions allowed): per million,
 * so 0.1 % is exact.
 */
export function fractionalPercent(percent: number): { numerator: number; denominator: 'MILLION' } {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) throw new RangeError(`percentage ${percent}: use a number from 0 to 100`);
  return { numerator: Math.round(percent * 10_000), denominator: 'MILLION' };
}

/** `ConfigSource` saying "over the same ADS stream", as proxyless gRPC requires. */
export function adsConfigSource(): Message {
  return { ads: {}, resource_api_version: 'V3' };
}

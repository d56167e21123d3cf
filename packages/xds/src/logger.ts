/**
 * The logger components use when the caller gives none: pino, JSON, level from
 * KEELSON_LOG_LEVEL (default `info`), created on first use so that importing the package costs
 * nothing. Components log through a child: `{ component: 'xds-server', stream: 7, node: 'a' }`.
 */
import { pino, type Logger } from 'pino';

let fallback: Logger | undefined;

export function defaultLogger(): Logger {
  fallback ??= pino({ level: process.env.KEELSON_LOG_LEVEL ?? 'info' });
  return fallback;
}

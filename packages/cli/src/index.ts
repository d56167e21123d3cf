export { buildCli, runCli } from './cli.js';
export { startControlPlane, up, type UpOptions, type RunningControlPlane } from './commands/up.js';

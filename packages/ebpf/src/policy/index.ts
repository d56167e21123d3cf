/** The L4 policy engine: rules (YAML or L4Policy objects) compiled into map updates for policy.bpf.c. See README.md here. */
export { parseCidr as parsePolicyCidr, formatCidr, cidrContains, CidrError, type Cidr } from './cidr.js';
export {
  validatePolicy,
  describeRule,
  PolicyConfigError,
  DEFAULT_PRIORITY,
  type Action,
  type Direction,
  type PolicyIssue,
  type PolicyRule,
  type PolicySpec,
  type PortRange,
  type Protocol,
} from './rules.js';
export { parsePolicyYaml, readPolicyFile } from './policy-yaml.js';
export { PolicyYamlParser, type PolicyParseStats } from './policy-yaml-parser.js';
export { compilePolicy, PolicyCapacityError, type CompiledPolicy } from './compile.js';
export { evaluatePolicy, type Decision, type PacketInfo } from './evaluate.js';
export { PolicyInstaller, FLIP_GRACE_MS, type InstallResult, type PolicyMapName, type PolicyMapOp, type PolicyMapWriter, type PreparedMapWrite } from './installer.js';
export { PolicyEngine, type ApplyResult, type AttachPolicyOptions, type RuleCounters } from './engine.js';
export { watchPolicyFile, type PolicyUpdate, type WatchPolicyFileOptions } from './file-source.js';
export { L4_POLICY_GVR, l4PolicyCrd, mergeL4Policies, watchL4Policies, type L4Policy, type L4PolicyInformer, type WatchL4PoliciesOptions } from './kubernetes-source.js';
export { PolicyMetrics, type PolicyMetricsOptions } from './metrics.js';
export { runPolicy, type RunPolicyOptions } from './run.js';
export { buildPacket, buildArp, TCP_FLAGS, type PacketSpec } from './packet.js';
export { serveMetrics, type MetricsServer, type MetricsServerOptions } from './metrics-server.js';
export { applyPinnedPolicy, deletePinnedPolicy, openPinnedPolicy, pinnedPolicyExists, pinnedPolicyPaths, PINNED_POLICY_ROOT, PINNED_POLICY_STATE_ROOT, type ApplyPinnedResult, type PinnedPolicyTarget } from './pinned.js';

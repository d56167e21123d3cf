// The real kubectl 1.32 against `keelson up` (the CLI, SQLite storage) on a CustomResourceDefinition
// and its custom resources: discovery after creation, apply, printer columns, categories,
// describe, explain, patch (and the 415 for strategic merge), edit, the scale and status
// subresources, wait (condition, jsonpath, delete), finalizers, schema validation errors, and
// namespace deletion cascading to built-in and custom objects.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKeelson, type Keelson } from './harness.js';
import { applyYaml, fails, follow, names, ok, parseTable, rowOf, writeScript } from './kubectl-helpers.js';

const CRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    listKind: WidgetList
    shortNames: [wd]
    categories: [all, toys]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.size
        statusReplicasPath: .status.size
        labelSelectorPath: .status.selector
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Color, type: string, jsonPath: .spec.color}
    - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status', priority: 1}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        description: Widget is a test resource with a size and a color.
        properties:
          spec:
            type: object
            description: WidgetSpec is the desired state of a Widget.
            required: [size]
            properties:
              size:
                type: integer
                minimum: 1
                maximum: 10
                description: Size is how many sprockets the widget carries, from 1 to 10.
              color:
                type: string
                enum: [red, green, blue]
                description: Color of the widget.
          status:
            type: object
            properties:
              size: {type: integer}
              selector: {type: string}
              conditions:
                type: array
                items:
                  type: object
                  required: [type, status]
                  properties:
                    type: {type: string}
                    status: {type: string}
                    reason: {type: string}
`;

const widget = (name: string, spec: string, extra = ''): string =>
  `apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: ${name}, namespace: default${extra}}\nspec: ${spec}\n`;

let k: Keelson;
let resourcesBefore = '';
let versionsBefore = '';
let crdApply = '';
let crdWait = '';

before(async () => {
  k = await startKeelson();
  resourcesBefore = await ok(k, ['api-resources', '-o', 'name']);
  versionsBefore = await ok(k, ['api-versions']);
  crdApply = await applyYaml(k, CRD);
  crdWait = await ok(k, ['wait', '--for=condition=established', '--timeout=20s', 'crd/widgets.example.com']);
});

after(async () => {
  await k?.dispose();
});

describe('CustomResourceDefinition', () => {
  it('apply creates the CRD, wait sees it Established, a second apply is unchanged', async () => {
    assert.equal(crdApply.trim(), 'customresourcedefinition.apiextensions.k8s.io/widgets.example.com created');
    assert.equal(crdWait.trim(), 'customresourcedefinition.apiextensions.k8s.io/widgets.example.com condition met');
    assert.equal((await applyYaml(k, CRD)).trim(), 'customresourcedefinition.apiextensions.k8s.io/widgets.example.com unchanged');
    const t = parseTable(await ok(k, ['get', 'crd']));
    assert.deepEqual(t.headers, ['NAME', 'CREATED AT']);
    assert.match(rowOf(t, 'widgets.example.com')['CREATED AT'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const conditions = JSON.parse(await ok(k, ['get', 'crd', 'widgets.example.com', '-o', 'jsonpath={.status.conditions}']));
    const byType = Object.fromEntries(conditions.map((c: any) => [c.type, c.status]));
    assert.equal(byType.Established, 'True');
    assert.equal(byType.NamesAccepted, 'True');
  });

  it('api-resources and api-versions show the new resource after creation', async () => {
    assert.ok(!names(resourcesBefore).includes('widgets.example.com'), resourcesBefore);
    assert.ok(!names(versionsBefore).includes('example.com/v1'), versionsBefore);
    const t = parseTable(await ok(k, ['api-resources']));
    assert.deepEqual(rowOf(t, 'widgets'), { NAME: 'widgets', SHORTNAMES: 'wd', APIVERSION: 'example.com/v1', NAMESPACED: 'true', KIND: 'Widget' });
    const wide = parseTable(await ok(k, ['api-resources', '--api-group=example.com', '-o', 'wide']));
    const row = rowOf(wide, 'widgets');
    assert.equal(row.VERBS, 'delete,deletecollection,get,list,patch,create,update,watch');
    assert.equal(row.CATEGORIES, 'all,toys');
    const versions = names(await ok(k, ['api-versions']));
    for (const v of ['v1', 'apps/v1', 'apiextensions.k8s.io/v1', 'example.com/v1']) assert.ok(versions.includes(v), versions.join(' '));
  });
});

describe('custom resources', () => {
  before(async () => {
    await applyYaml(k, widget('blue', '{size: 2, color: blue}', ', labels: {tier: back}'));
  });

  it('apply creates, then reports unchanged, then configured', async () => {
    const w1 = (size: number): string => widget('w1', `{size: ${size}, color: red}`, ', labels: {tier: front}');
    assert.equal((await applyYaml(k, w1(3))).trim(), 'widget.example.com/w1 created');
    assert.equal((await applyYaml(k, w1(3))).trim(), 'widget.example.com/w1 unchanged');
    assert.equal((await applyYaml(k, w1(4))).trim(), 'widget.example.com/w1 configured');
    const obj = JSON.parse(await ok(k, ['get', 'widget', 'w1', '-o', 'json']));
    assert.equal(obj.apiVersion, 'example.com/v1');
    assert.equal(obj.kind, 'Widget');
    assert.deepEqual(obj.spec, { size: 4, color: 'red' });
    assert.equal(obj.metadata.generation, 2);
    assert.deepEqual(JSON.parse(obj.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).spec, { size: 4, color: 'red' });
  });

  it('get prints the additionalPrinterColumns; priority columns only with -o wide', async () => {
    const t = parseTable(await ok(k, ['get', 'widgets']));
    assert.deepEqual(t.headers, ['NAME', 'SIZE', 'COLOR', 'AGE']);
    assert.deepEqual(t.rows.map((r) => [r.NAME, r.SIZE, r.COLOR]), [['blue', '2', 'blue'], ['w1', '4', 'red']]);
    assert.match(rowOf(t, 'w1').AGE, /^\d+[smhd]\S*$/);
    const wide = parseTable(await ok(k, ['get', 'widgets', '-o', 'wide']));
    assert.deepEqual(wide.headers, ['NAME', 'SIZE', 'COLOR', 'READY', 'AGE']);
    // No Ready condition yet: the cell is null, which kubectl prints as nothing.
    assert.equal(rowOf(wide, 'w1').READY, '');
  });

  it('get by short name, singular, fully qualified name and category', async () => {
    const kinds = ['wd', 'widget', 'widgets.example.com', 'widgets.v1.example.com'];
    const got = await Promise.all(kinds.map(async (kind) => names(await ok(k, ['get', kind, '-o', 'name']))));
    kinds.forEach((kind, i) => assert.deepEqual(got[i], ['widget.example.com/blue', 'widget.example.com/w1'], kind));
    // One kind in the category: no kind prefix on the names.
    const toys = parseTable(await ok(k, ['get', 'toys']));
    assert.deepEqual(toys.headers, ['NAME', 'SIZE', 'COLOR', 'AGE']);
    assert.deepEqual(toys.rows.map((r) => r.NAME), ['blue', 'w1']);
    const all = await ok(k, ['get', 'all']);
    assert.match(all, /^widget\.example\.com\/w1\s+4\s+red\s+\d+[smhd]\S*$/m);
    assert.match(all, /^service\/kubernetes\s+ClusterIP\s/m);
  });

  it('-o yaml, -o jsonpath, -A, --show-labels, -l and --field-selector on custom resources', async () => {
    const yaml = await ok(k, ['get', 'wd', 'w1', '-o', 'yaml']);
    assert.match(yaml, /^apiVersion: example\.com\/v1$/m);
    assert.match(yaml, /^kind: Widget$/m);
    assert.match(yaml, /^spec:\n {2}color: red\n {2}size: 4$/m);
    assert.equal(await ok(k, ['get', 'wd', '-o', 'jsonpath={range .items[*]}{.metadata.name}:{.spec.size} {end}']), 'blue:2 w1:4 ');
    const t = parseTable(await ok(k, ['get', 'wd', '-A', '--show-labels']));
    assert.deepEqual(t.headers, ['NAMESPACE', 'NAME', 'SIZE', 'COLOR', 'AGE', 'LABELS']);
    assert.deepEqual(rowOf(t, 'w1'), { ...rowOf(t, 'w1'), NAMESPACE: 'default', LABELS: 'tier=front' });
    assert.deepEqual(names(await ok(k, ['get', 'wd', '-l', 'tier!=front', '-o', 'name'])), ['widget.example.com/blue']);
    assert.deepEqual(names(await ok(k, ['get', 'wd', '-l', 'tier in (front)', '-o', 'name'])), ['widget.example.com/w1']);
    assert.deepEqual(names(await ok(k, ['get', 'wd', '--field-selector', 'metadata.name=blue', '-o', 'name'])), ['widget.example.com/blue']);
  });

  it('describe prints the custom resource', async () => {
    await ok(k, ['patch', 'wd', 'blue', '--subresource=status', '--type=merge', '-p', '{"status":{"size":2,"conditions":[{"type":"Ready","status":"False","reason":"Warming"}]}}']);
    const out = await ok(k, ['describe', 'widget', 'blue']);
    assert.match(out, /^Name:\s+blue$/m);
    assert.match(out, /^Namespace:\s+default$/m);
    assert.match(out, /^Labels:\s+tier=back$/m);
    assert.match(out, /^API Version:\s+example\.com\/v1$/m);
    assert.match(out, /^Kind:\s+Widget$/m);
    assert.match(out, /^Spec:\n {2}Color:\s+blue\n {2}Size:\s+2$/m);
    assert.match(out, /^Status:\n {2}Conditions:\n {4}Reason:\s+Warming\n {4}Status:\s+False\n {4}Type:\s+Ready\n {2}Size:\s+2$/m);
  });

  it('explain prints a field description, and --recursive the whole schema', async () => {
    const field = await ok(k, ['explain', 'widgets.spec.size']);
    assert.match(field, /^KIND:\s+Widget$/m);
    assert.match(field, /^VERSION:\s+v1$/m);
    assert.match(field, /^FIELD: size <integer>$/m);
    assert.match(field, /Size is how many sprockets the widget carries, from 1 to 10\./);
    const spec = await ok(k, ['explain', 'widget.spec']);
    assert.match(spec, /WidgetSpec is the desired state of a Widget\./);
    assert.match(spec, /^ {2}size\s+<integer> -required-$/m);
    const rec = await ok(k, ['explain', 'widgets', '--recursive']);
    assert.match(rec, /Widget is a test resource with a size and a color\./);
    assert.match(rec, /^ {2}spec\s+<Object>\n {4}color\s+<string>\n {4}enum: red, green, blue\n {4}size\s+<integer> -required-$/m);
    assert.match(rec, /^ {2}status\s+<Object>\n {4}conditions\s+<\[\]Object>$/m);
    assert.match(rec, /^ {4}labels\s+<map\[string\]string>$/m);
  });

  it('patch: merge and json work; strategic merge is refused with 415', async () => {
    assert.equal((await ok(k, ['patch', 'wd', 'w1', '--type=merge', '-p', '{"spec":{"color":"green"}}'])).trim(), 'widget.example.com/w1 patched');
    await ok(k, ['patch', 'wd', 'w1', '--type=json', '-p', '[{"op":"replace","path":"/spec/size","value":6}]']);
    assert.equal(await ok(k, ['get', 'wd', 'w1', '-o', 'jsonpath={.spec.color}/{.spec.size}']), 'green/6');
    const r = await fails(k, ['patch', 'wd', 'w1', '-p', '{"spec":{"color":"blue"}}', '-v=6']);
    assert.match(r.stderr, /PATCH https:\/\/\S+\/apis\/example\.com\/v1\/namespaces\/default\/widgets\/w1\S* 415 Unsupported Media Type/);
    assert.match(
      r.stderr,
      /error: application\/strategic-merge-patch\+json is not supported by example\.com\/v1, Kind=Widget: the body of the request was in an unknown format - accepted media types include: application\/json-patch\+json, application\/merge-patch\+json, application\/apply-patch\+yaml/,
    );
    // The schema still applies to patches.
    const bad = await fails(k, ['patch', 'wd', 'w1', '--type=merge', '-p', '{"spec":{"size":0}}']);
    assert.match(bad.stderr, /The Widget "w1" is invalid: spec\.size: Invalid value: 0: spec\.size in body should be greater than or equal to 1/);
    assert.equal(await ok(k, ['get', 'wd', 'w1', '-o', 'jsonpath={.spec.color}/{.spec.size}']), 'green/6');
  });

  it('edit changes a custom resource through $EDITOR', async () => {
    const editor = writeScript(`sed -i 's/^  color: green$/  color: blue/' "$1"`);
    try {
      const out = await ok(k, ['edit', 'widget', 'w1'], { env: { EDITOR: editor.path, KUBE_EDITOR: editor.path } });
      assert.equal(out.trim(), 'widget.example.com/w1 edited');
    } finally {
      editor.dispose();
    }
    assert.equal(await ok(k, ['get', 'wd', 'w1', '-o', 'jsonpath={.spec.color}']), 'blue');
  });

  it('scale goes through the scale subresource to spec.size; the schema still bounds it', async () => {
    await ok(k, ['patch', 'wd', 'w1', '--subresource=status', '--type=merge', '-p', '{"status":{"size":6,"selector":"app=w1"}}']);
    assert.equal((await ok(k, ['scale', 'widget', 'w1', '--replicas=8'])).trim(), 'widget.example.com/w1 scaled');
    assert.equal(await ok(k, ['get', 'wd', 'w1', '-o', 'jsonpath={.spec.size}']), '8');
    const scale = JSON.parse(await ok(k, ['get', 'wd', 'w1', '--subresource=scale', '-o', 'json']));
    assert.equal(scale.apiVersion, 'autoscaling/v1');
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.metadata.name, 'w1');
    assert.deepEqual(scale.spec, { replicas: 8 });
    assert.deepEqual(scale.status, { replicas: 6, selector: 'app=w1' });
    const tooBig = await fails(k, ['scale', 'widget', 'w1', '--replicas=11']);
    assert.match(tooBig.stderr, /spec\.size: Invalid value: 11: spec\.size in body should be less than or equal to 10/);
    const pre = await fails(k, ['scale', 'widget', 'w1', '--current-replicas=3', '--replicas=5']);
    assert.match(pre.stderr, /Expected replicas to be 3, was 8/);
    assert.equal(await ok(k, ['get', 'wd', 'w1', '-o', 'jsonpath={.spec.size}']), '8');
  });

  it('label and annotate custom resources', async () => {
    await ok(k, ['label', 'wd', 'w1', 'tier=mid', '--overwrite']);
    await ok(k, ['annotate', 'wd', 'w1', 'owner=team-a']);
    await ok(k, ['annotate', 'wd', 'w1', 'owner=team-b', '--overwrite']);
    assert.equal(await ok(k, ['get', 'wd', 'w1', '-o', 'jsonpath={.metadata.labels.tier}/{.metadata.annotations.owner}']), 'mid/team-b');
  });

  it('the status subresource: status writes go through /status only', async () => {
    // A main-resource patch cannot change status.
    await ok(k, ['patch', 'wd', 'w1', '--type=merge', '-p', '{"status":{"size":99}}']);
    assert.equal(await ok(k, ['get', 'wd', 'w1', '-o', 'jsonpath={.status.size}']), '6');
    // A status patch cannot change spec.
    await ok(k, ['patch', 'wd', 'w1', '--subresource=status', '--type=merge', '-p', '{"spec":{"size":1},"status":{"size":7}}']);
    assert.equal(await ok(k, ['get', 'wd', 'w1', '-o', 'jsonpath={.spec.size}/{.status.size}']), '8/7');
  });

  it('wait --for=condition=Ready=true and --for=jsonpath see status set through --subresource=status', async () => {
    const waiting = k.kubectl(['wait', '--for=condition=Ready=true', '--timeout=30s', 'widget/w1']);
    const waitingPath = k.kubectl(['wait', '--for=jsonpath={.status.size}=9', '--timeout=30s', 'widget/w1']);
    await new Promise((r) => setTimeout(r, 300));
    await ok(k, ['patch', 'wd', 'w1', '--subresource=status', '--type=merge', '-p', '{"status":{"size":9,"conditions":[{"type":"Ready","status":"True","reason":"Done"}]}}']);
    const r = await waiting;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'widget.example.com/w1 condition met');
    const p = await waitingPath;
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.stdout.trim(), 'widget.example.com/w1 condition met');
    assert.equal(rowOf(parseTable(await ok(k, ['get', 'wd', '-o', 'wide'])), 'w1').READY, 'True');
    // Already true: returns at once. Not true: times out with exit code 1.
    assert.equal((await ok(k, ['wait', '--for=condition=Ready', '--timeout=5s', 'widget/w1'])).trim(), 'widget.example.com/w1 condition met');
    const timeout = await fails(k, ['wait', '--for=condition=Ready=true', '--timeout=1s', 'widget/blue']);
    assert.match(timeout.stderr, /timed out waiting for the condition on widgets\/blue/);
  });

  it('get -w on a custom resource sees a later change', async () => {
    const w = follow(k, ['get', 'wd', 'blue', '-w']);
    try {
      await w.waitForLine(/^blue\s+2\s+blue\s+\d+[smhd]\S*$/);
      await ok(k, ['patch', 'wd', 'blue', '--type=merge', '-p', '{"spec":{"size":5}}']);
      await w.waitForLine(/^blue\s+5\s+blue\s+\d+[smhd]\S*$/);
    } finally {
      await w.stop();
    }
  });

  it('server-side apply creates and updates a custom resource', async () => {
    const ssa = (size: number): string => widget('ssa', `{size: ${size}}`);
    assert.equal((await applyYaml(k, ssa(1), ['--server-side'])).trim(), 'widget.example.com/ssa serverside-applied');
    assert.equal((await applyYaml(k, ssa(2), ['--server-side'])).trim(), 'widget.example.com/ssa serverside-applied');
    assert.equal(await ok(k, ['get', 'wd', 'ssa', '-o', 'jsonpath={.spec.size}']), '2');
    const diff = await k.kubectl(['diff', '-f', '-'], { input: ssa(3) });
    assert.equal(diff.code, 1, diff.stderr);
    assert.match(diff.stdout, /^-\s+size: 2\n\+\s+size: 3$/m);
  });
});

describe('deletion with finalizers', () => {
  it('delete leaves the object with a deletionTimestamp until the finalizer is removed', async () => {
    await applyYaml(k, widget('held', '{size: 1}', ', finalizers: [example.com/hold]'));
    const del = await ok(k, ['delete', 'widget', 'held', '--wait=false']);
    assert.equal(del.trim(), 'widget.example.com "held" deleted');
    const obj = JSON.parse(await ok(k, ['get', 'widget', 'held', '-o', 'json']));
    assert.match(obj.metadata.deletionTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(obj.metadata.finalizers, ['example.com/hold']);
    // A second delete is accepted and changes nothing.
    await ok(k, ['delete', 'widget', 'held', '--wait=false']);
    // No new finalizers on an object being deleted.
    const added = await fails(k, ['patch', 'widget', 'held', '--type=json', '-p', '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/more"}]']);
    assert.match(added.stderr, /Forbidden: no new finalizers can be added if the object is being deleted/);

    const waiter = follow(k, ['wait', '--for=delete', '--timeout=30s', 'widget/held']);
    try {
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(waiter.lines.length, 0, 'wait must not finish while the finalizer is pending');
      await ok(k, ['patch', 'widget', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
      assert.equal(await waiter.exited, 0, waiter.stderr());
      assert.match(waiter.lines.join('\n'), /^widget\.example\.com\/held condition met$/m);
    } finally {
      await waiter.stop();
    }
    const gone = await fails(k, ['get', 'widget', 'held']);
    assert.match(gone.stderr, /Error from server \(NotFound\): widgets\.example\.com "held" not found/);
  });

  it('a ConfigMap with a finalizer is also held, and a merge patch clearing finalizers releases it', async () => {
    await applyYaml(k, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held-cm, namespace: default, finalizers: [example.com/hold]}\n');
    await ok(k, ['delete', 'cm', 'held-cm', '--wait=false']);
    assert.match(await ok(k, ['get', 'cm', 'held-cm', '-o', 'jsonpath={.metadata.deletionTimestamp}']), /^\d{4}-/);
    const waiting = k.kubectl(['delete', 'cm', 'held-cm', '--timeout=30s']);
    await new Promise((r) => setTimeout(r, 300));
    await ok(k, ['patch', 'cm', 'held-cm', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    const r = await waiting;
    assert.equal(r.code, 0, r.stderr);
    await fails(k, ['get', 'cm', 'held-cm']);
  });
});

describe('schema validation', () => {
  it('rejects values out of range and outside the enum with 422 naming the fields, and stores nothing', async () => {
    const r = await fails(k, ['apply', '-f', '-', '-v=6'], { input: widget('bad-range', '{size: 99, color: purple}') });
    assert.match(r.stderr, /POST https:\/\/\S+\/apis\/example\.com\/v1\/namespaces\/default\/widgets\?\S* 422 Unprocessable Entity/);
    assert.match(r.stderr, /The Widget "bad-range" is invalid: \n\* spec\.color: Unsupported value: "purple": supported values: "red", "green", "blue"\n\* spec\.size: Invalid value: 99: spec\.size in body should be less than or equal to 10/);
    const missing = await fails(k, ['apply', '-f', '-'], { input: widget('bad-missing', '{color: red}') });
    assert.match(missing.stderr, /The Widget "bad-missing" is invalid: spec\.size: Required value/);
    for (const name of ['bad-range', 'bad-missing']) {
      const g = await fails(k, ['get', 'widget', name]);
      assert.match(g.stderr, new RegExp(`Error from server \\(NotFound\\): widgets\\.example\\.com "${name}" not found`));
    }
  });

  it('rejects an unknown field with 400 (strict decoding), and stores nothing', async () => {
    const r = await fails(k, ['apply', '-f', '-', '-v=6'], { input: widget('bad-field', '{size: 2, colour: red}') });
    assert.match(r.stderr, /POST https:\/\/\S+\/apis\/example\.com\/v1\/namespaces\/default\/widgets\?\S*fieldValidation=Strict\S* 400 Bad Request/);
    assert.match(r.stderr, /Error from server \(BadRequest\): error when creating "STDIN": strict decoding error: unknown field "spec\.colour"/);
    await fails(k, ['get', 'widget', 'bad-field']);
    // With --validate=false the unknown field is dropped (pruned) instead.
    await applyYaml(k, widget('pruned', '{size: 2, colour: red}'), ['--validate=false']);
    assert.equal(await ok(k, ['get', 'wd', 'pruned', '-o', 'jsonpath={.spec}']), '{"size":2}');
  });
});

describe('namespace deletion', () => {
  it('deleting a namespace removes built-in and custom objects in it, and kubectl delete returns', async () => {
    await applyYaml(k, `
apiVersion: v1
kind: Namespace
metadata: {name: doomed}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c1, namespace: doomed}
data: {a: b}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d1, namespace: doomed}
spec:
  selector: {matchLabels: {app: d1}}
  template:
    metadata: {labels: {app: d1}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: wdoomed, namespace: doomed}
spec: {size: 1}
`);
    assert.equal(rowOf(parseTable(await ok(k, ['get', 'ns', 'doomed'])), 'doomed').STATUS, 'Active');
    const out = await ok(k, ['delete', 'namespace', 'doomed', '--timeout=60s']);
    assert.equal(out.trim(), 'namespace "doomed" deleted');
    const ns = await fails(k, ['get', 'ns', 'doomed']);
    assert.match(ns.stderr, /namespaces "doomed" not found/);
    for (const [kind, name] of [['configmap', 'c1'], ['deployment', 'd1'], ['widget', 'wdoomed']]) {
      const r = await fails(k, ['get', kind, name, '-n', 'doomed']);
      assert.match(r.stderr, /\(NotFound\)/, `${kind}/${name}`);
    }
    assert.equal(await ok(k, ['get', 'wd', '-A', '-o', 'name', '--field-selector', 'metadata.namespace=doomed']), '');
  });

  it('create namespace (imperative), then delete it with a custom resource inside', async () => {
    assert.equal((await ok(k, ['create', 'namespace', 'made'])).trim(), 'namespace/made created');
    await applyYaml(k, 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: inside, namespace: made}\nspec: {size: 1}\n');
    assert.equal((await ok(k, ['delete', 'ns', 'made', '--timeout=60s'])).trim(), 'namespace "made" deleted');
    await fails(k, ['get', 'ns', 'made']);
    await fails(k, ['get', 'wd', 'inside', '-n', 'made']);
  });
});

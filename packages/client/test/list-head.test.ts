// scanListHead reads a list's metadata from the first bytes of the answer, or says it needs
// more, or gives up; never a wrong answer whatever the split.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { listHeadWatcher, scanListHead, LIST_HEAD_SCAN_LIMIT } from '../src/list-head.js';
import type { ListMetadata } from '../src/types.js';

const meta = { resourceVersion: '42', continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDJ9', remainingItemCount: 7 };

describe('scanListHead', () => {
  it('finds metadata at every split of a Keelson / kube-apiserver list head', () => {
    const body = JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: meta, items: [{ metadata: { name: 'a' } }] });
    const headEnd = body.indexOf('"items"');
    for (let n = 0; n <= body.length; n++) {
      const r = scanListHead(body.slice(0, n));
      const metaEnd = body.indexOf('},"items"') + 1;
      if (n < metaEnd) assert.deepEqual(r, { done: false }, `prefix of ${n} bytes`);
      else assert.deepEqual(r, { done: true, metadata: meta }, `prefix of ${n} bytes`);
    }
    assert.ok(headEnd > 0);
  });

  it('skips strings holding braces, quotes and escapes, nested values, numbers, whitespace', () => {
    const m = { resourceVersion: '7', continue: 'a"}{[\\\\', selfLink: '' };
    const body = `{ "kind" : "X}{List", "n": 12.5e3, "b": true, "o": {"a": [1, {"b": "}"}]},\n "metadata" : ${JSON.stringify(m)} , "items": []}`;
    assert.deepEqual(scanListHead(body), { done: true, metadata: m });
  });

  it('gives up (done, no metadata) when items come first, the body is not an object, or the JSON is broken', () => {
    for (const body of ['{"items":[],"metadata":{"resourceVersion":"1"}}', '[1,2]', '{"kind" "x"}', '{kind:1}', '{"metadata":[1', '{"a":tru}']) {
      const r = scanListHead(body);
      if (body === '{"metadata":[1') assert.deepEqual(r, { done: false });
      else assert.deepEqual(r, { done: true, metadata: undefined }, body);
    }
    assert.deepEqual(scanListHead('{"metadata":"not an object"}'), { done: true, metadata: undefined });
  });
});

describe('listHeadWatcher', () => {
  it('calls back once, as soon as the metadata is complete, across chunk and UTF-8 boundaries', () => {
    const m = { resourceVersion: '9', continue: 'tök€n' };
    const bytes = Buffer.from(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: m, items: [] }));
    for (let size = 1; size <= 7; size++) {
      const got: ListMetadata[] = [];
      const feed = listHeadWatcher((x) => got.push(x));
      for (let i = 0; i < bytes.length; i += size) feed(bytes.subarray(i, i + size));
      assert.deepEqual(got, [m], `chunks of ${size}`);
    }
  });

  it('stops looking past the scan limit without calling back', () => {
    const got: ListMetadata[] = [];
    const feed = listHeadWatcher((x) => got.push(x));
    feed(Buffer.from(`{"kind":"${'k'.repeat(LIST_HEAD_SCAN_LIMIT)}`));
    feed(Buffer.from('","metadata":{"resourceVersion":"1"},"items":[]}'));
    assert.deepEqual(got, []);
  });
});

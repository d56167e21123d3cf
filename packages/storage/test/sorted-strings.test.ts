import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SortedStrings } from '../src/internal/sorted-strings.js';

describe('SortedStrings', () => {
  it('agrees with a sorted array under random adds and deletes', () => {
    let s = 12345;
    const random = () => {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      return s / 0x80000000;
    };
    const set = new SortedStrings();
    const ref = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const key = `/k/${Math.floor(random() * 5000)}`;
      if (random() < 0.65) {
        const had = ref.has(key);
        ref.add(key);
        assert.equal(set.add(key), !had);
      } else {
        assert.equal(set.delete(key), ref.delete(key));
      }
    }
    const sorted = [...ref].sort();
    assert.equal(set.size, sorted.length);
    const walked: string[] = [];
    set.forEachFrom('', (k) => {
      walked.push(k);
      return true;
    });
    assert.deepEqual(walked, sorted);
    for (const probe of ['', '/k/1', '/k/2500', '/k/4999', '/k/5', '/l']) {
      assert.equal(set.rank(probe), sorted.filter((k) => k < probe).length, probe);
      assert.equal(set.has(probe), ref.has(probe));
    }
    assert.equal(set.countRange('/k/2', '/k/3'), sorted.filter((k) => k >= '/k/2' && k < '/k/3').length);
    assert.equal(set.countRange('/k/3', undefined), sorted.filter((k) => k >= '/k/3').length);
    const from: string[] = [];
    set.forEachFrom('/k/42', (k) => from.push(k) < 3);
    assert.deepEqual(from, sorted.filter((k) => k >= '/k/42').slice(0, 3));
  });

  it('builds from a sorted array and stays editable', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `/k/${String(i).padStart(4, '0')}`);
    const set = SortedStrings.fromSorted(keys);
    assert.equal(set.size, 2000);
    assert.equal(set.add('/k/0500x'), true);
    assert.equal(set.delete('/k/0001'), true);
    assert.equal(set.rank('/k/0501'), 501);
    assert.equal(set.countRange('/k/', '/k0'), 2000);
  });

  it('handles the empty set', () => {
    const set = new SortedStrings();
    assert.equal(set.delete('a'), false);
    assert.equal(set.has('a'), false);
    assert.equal(set.rank('a'), 0);
    assert.equal(set.countRange('a', 'b'), 0);
    set.forEachFrom('', () => assert.fail('no keys'));
  });
});

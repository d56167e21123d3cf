import { MemoryStore } from '../src/memory-store.js';
import { runStoreConformance } from './conformance.js';

runStoreConformance('memory', () => new MemoryStore());

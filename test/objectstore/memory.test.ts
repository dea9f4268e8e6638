import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { objectStoreContract } from './contract.js';

objectStoreContract('memory', async () => ({ store: new MemoryObjectStore(), dispose: async () => {} }));

import type { ApiKey } from '../src/api/types';

type Listed = Pick<ApiKey, 'id' | 'name' | 'key_prefix' | 'status' | 'created_at' | 'expires_at' | 'owner_id'>;

export function listKeys<K extends Listed>(keys: readonly K[], params: URLSearchParams): { items: K[]; total: number };

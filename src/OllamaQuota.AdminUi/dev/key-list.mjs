// The Admin's key list (ApiKeysApi.ListKeys) over keys in memory, for the mock admin server and the Vitest fake:
// search in name or prefix (any case), one owner's keys, status filter (deleted keys only when asked for), sort by a column with its
// default direction (ties by id), offset/limit paging, and how many keys match in all.
const COLUMNS = {
  created: (k) => k.created_at,
  name: (k) => k.name.toLowerCase(),
  prefix: (k) => k.key_prefix,
  expires: (k) => k.expires_at,
};

const order = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

export function listKeys(keys, params) {
  const search = (params.get('search') ?? '').trim().toLowerCase();
  const status = params.get('status') || null;
  const sort = params.get('sort') || 'created';
  const dir = params.get('dir') || (sort === 'name' || sort === 'prefix' ? 'asc' : 'desc');
  const withDeleted = params.get('include_deleted') === 'true' || status === 'deleted';
  const owner = params.get('owner_id');
  const value = COLUMNS[sort];
  const sign = dir === 'asc' ? 1 : -1;
  const matches = keys
    .filter((k) => (withDeleted || k.status !== 'deleted') && (!status || k.status === status) && (!owner || k.owner_id === owner))
    .filter((k) => !search || k.name.toLowerCase().includes(search) || k.key_prefix.toLowerCase().includes(search))
    .sort((a, b) => {
      const [va, vb] = [value(a), value(b)];
      // Keys that never expire come last in both directions, as in the database query.
      if (va === null || vb === null) return Number(va === null) - Number(vb === null) || order(a.id, b.id);
      return sign * order(va, vb) || order(a.id, b.id);
    });
  const offset = Number(params.get('offset') ?? 0);
  const limit = params.has('limit') ? Number(params.get('limit')) : matches.length;
  return { items: matches.slice(offset, offset + limit), total: matches.length };
}

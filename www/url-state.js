// The view kept in the URL hash, so a link reproduces it once the same files are loaded:
// #files=a.gz,b.gz&base=a.gz&cur=b.gz&q=FILTER&sort=COLUMN&dir=asc|desc, and #a=URL&b=URL to load snapshots
// from URLs (the only requests the page makes besides its own files).

export function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  return {
    filter: params.get('q') ?? '',
    sortKey: params.get('sort'),
    descending: params.get('dir') !== 'asc',
    urls: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((k) => params.get(k)).filter(Boolean),
    files: (params.get('files') ?? '').split(',').filter(Boolean),
    baseline: params.get('base'),
    current: params.get('cur'),
  };
}

export function writeHash({ files, baseline, current, filter, sortKey, descending, urls }) {
  const params = new URLSearchParams();
  urls.forEach((url, i) => params.set('abcdefgh'[i], url));
  if (!urls.length && files.length) params.set('files', files.join(','));
  if (baseline) params.set('base', baseline);
  if (current) params.set('cur', current);
  if (filter) params.set('q', filter);
  if (sortKey) params.set('sort', sortKey);
  if (sortKey && !descending) params.set('dir', 'asc');
  const hash = params.toString();
  history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
}

namespace AkkaRaft.Host.Admin;

/// <summary>The single-page dashboard: stores, regions and operators, refreshed every second from the JSON API.</summary>
internal static class Dashboard
{
    /// <summary>The page.</summary>
    public const string Html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>AkkaRaft</title>
        <style>
          body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
          table { border-collapse: collapse; margin-bottom: 2rem; }
          th, td { border: 1px solid #ccc; padding: .3rem .7rem; text-align: left; }
          th { background: #f3f3f3; }
          .leader { font-weight: bold; color: #0a6; }
          #status.bad, .down, .failed, .cancelled { color: #c00; }
          .done { color: #0a6; }
          progress { width: 10rem; }
        </style>
        </head>
        <body>
        <h1>AkkaRaft</h1>
        <p id="status">loading…</p>
        <form id="login" hidden><label>admin token <input id="token" type="password" autocomplete="off"></label> <button>use</button></form>
        <h2>Stores</h2>
        <table id="stores"><thead><tr><th>store</th><th>local</th><th>state</th><th>down</th><th>regions</th><th>leaders</th></tr></thead><tbody></tbody></table>
        <h2>Regions</h2>
        <p id="regions-page"><span id="regions-range"></span> <button id="regions-first" type="button" hidden>first page</button> <button id="regions-next" type="button" hidden>next page</button></p>
        <table id="regions"><thead><tr><th>id</th><th>range</th><th>epoch</th><th>leader</th><th>replicas (store: role term commit/applied)</th><th>size</th></tr></thead><tbody></tbody></table>
        <h2>Operators</h2>
        <p id="scheduler">scheduler: loading…</p>
        <h3>Running</h3>
        <table id="operators-running"><thead><tr><th>id</th><th>kind</th><th>region</th><th>move</th><th>step</th><th>progress</th><th>detail</th></tr></thead><tbody></tbody></table>
        <h3>Recent</h3>
        <table id="operators-recent"><thead><tr><th>id</th><th>kind</th><th>region</th><th>move</th><th>state</th><th>took</th><th>detail</th></tr></thead><tbody></tbody></table>
        <script>
        // With an admin token the page is opened as /#token=TOKEN (a fragment never reaches the server or a log) or the
        // token is typed in; it is kept for this tab only and sent as a bearer token.
        const tokenKey = 'akkaraft-admin-token';
        const fragment = new URLSearchParams(location.hash.slice(1));
        if (fragment.get('token')) { sessionStorage.setItem(tokenKey, fragment.get('token')); history.replaceState(null, '', location.pathname); }
        document.getElementById('login').addEventListener('submit', e => {
          e.preventDefault(); sessionStorage.setItem(tokenKey, document.getElementById('token').value); document.getElementById('login').hidden = true; refresh();
        });
        async function fetchApi(path) {
          const token = sessionStorage.getItem(tokenKey);
          const response = await fetch(path, { headers: token ? { 'Authorization': 'Bearer ' + token } : {} });
          if (response.status === 401) { document.getElementById('login').hidden = false; throw new Error(token ? 'the admin token was refused' : 'admin token required'); }
          return response;
        }
        async function api(path) { return (await fetchApi(path)).json(); }
        // Regions come a page at a time: the cursor is the last id of the previous page (0: the first page).
        const regionsPageSize = 100;
        let regionsAfter = 0, regionsNext = null;
        async function regionsPage() {
          const response = await fetchApi(`/api/regions?limit=${regionsPageSize}&after=${regionsAfter}`);
          const next = /after=(\d+)/.exec(response.headers.get('Link') || '');
          return { regions: await response.json(), total: Number(response.headers.get('X-Total-Count') || 0), next: next ? next[1] : null };
        }
        document.getElementById('regions-first').addEventListener('click', () => { regionsAfter = 0; refresh(); });
        document.getElementById('regions-next').addEventListener('click', () => { if (regionsNext) { regionsAfter = regionsNext; refresh(); } });
        function cell(text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; return td; }
        async function refresh() {
          try {
            const [stores, page] = await Promise.all([api('/api/stores'), regionsPage()]);
            const regions = page.regions;
            regionsNext = page.next;
            document.getElementById('regions-range').textContent = regions.length === page.total
              ? `${page.total} regions` : `regions ${regions.length ? regions[0].id : '-'}–${regions.length ? regions[regions.length - 1].id : '-'} (${regions.length} of ${page.total})`;
            document.getElementById('regions-first').hidden = regionsAfter === 0;
            document.getElementById('regions-next').hidden = !regionsNext;
            const sBody = document.querySelector('#stores tbody'); sBody.replaceChildren();
            for (const s of stores) { const tr = document.createElement('tr'); tr.append(cell(s.id), cell(s.local ? 'yes' : 'no'), cell(s.state), cell(s.down ? 'down' : 'no', s.down ? 'down' : ''), cell(s.regions), cell(s.leaders)); sBody.append(tr); }
            const rBody = document.querySelector('#regions tbody'); rBody.replaceChildren();
            for (const r of regions) {
              const tr = document.createElement('tr'); tr.dataset.region = r.id;
              const replicas = r.replicas.map(x => `${x.store}: ${x.role} t${x.term} ${x.committed}/${x.applied}${x.hibernating ? ' zz' : ''}`).join(', ');
              tr.append(cell(r.id), cell(`[${r.startKey}, ${r.endKey})`), cell(r.epoch), cell(r.leaderStore || 'none', r.leaderStore ? 'leader' : ''), cell(replicas), cell(r.approximateSizeBytes));
              rBody.append(tr);
            }
            const status = document.getElementById('status');
            const ok = regions.length > 0 && regions.every(r => r.leaderStore);
            status.textContent = ok ? `healthy: ${page.total} regions, ${stores.length} stores` : 'some regions have no leader';
            status.className = ok ? '' : 'bad';
          } catch (e) { document.getElementById('status').textContent = 'cannot reach the admin API: ' + e; }
          await refreshOperators();
        }
        function progressCell(o) {
          const td = document.createElement('td');
          const [done, total, label] = o.snapshotBytesTotal > 0 && o.snapshotBytesSent < o.snapshotBytesTotal
            ? [o.snapshotBytesSent, o.snapshotBytesTotal, `snapshot ${(o.snapshotBytesSent / 1048576).toFixed(1)}/${(o.snapshotBytesTotal / 1048576).toFixed(1)} MiB`]
            : o.leaderLastIndex > 0 ? [Math.min(o.learnerMatch, o.leaderLastIndex), o.leaderLastIndex, `match ${o.learnerMatch} of ${o.leaderLastIndex}`] : [0, 0, ''];
          if (total > 0) { const bar = document.createElement('progress'); bar.max = total; bar.value = done; td.append(bar, ' ' + label); }
          return td;
        }
        function emptyRow(body, columns, text) { const tr = document.createElement('tr'); const td = cell(text); td.colSpan = columns; tr.append(td); body.append(tr); }
        async function refreshOperators() {
          const scheduler = document.getElementById('scheduler');
          try {
            const ops = await api('/api/operators');
            if (ops.error) { scheduler.textContent = 'scheduler: ' + ops.error; return; }
            scheduler.textContent = `scheduler: node ${ops.schedulerNode}`;
            const run = document.querySelector('#operators-running tbody'); run.replaceChildren();
            for (const o of ops.running) {
              const tr = document.createElement('tr'); tr.dataset.operator = o.id;
              tr.append(cell(o.id), cell(o.kind), cell(o.regionId), cell(`${o.fromStore} → ${o.toStore}`), cell(o.step), progressCell(o), cell(o.detail));
              run.append(tr);
            }
            if (ops.running.length === 0) emptyRow(run, 7, 'no running operators');
            const recent = document.querySelector('#operators-recent tbody'); recent.replaceChildren();
            for (const o of [...ops.recent].reverse()) {
              const tr = document.createElement('tr'); tr.dataset.operator = o.id;
              tr.append(cell(o.id), cell(o.kind), cell(o.regionId), cell(`${o.fromStore} → ${o.toStore}`), cell(o.state, o.state),
                cell(`${((o.finishedAtMs - o.startedAtMs) / 1000).toFixed(1)} s`), cell(o.detail));
              recent.append(tr);
            }
            if (ops.recent.length === 0) emptyRow(recent, 7, 'no recent operators');
          } catch (e) { scheduler.textContent = 'scheduler: cannot reach the admin API: ' + e; }
        }
        refresh(); setInterval(refresh, 1000);
        </script>
        </body>
        </html>
        """;
}

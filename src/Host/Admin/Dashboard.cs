namespace AkkaRaft.Host.Admin;

/// <summary>The single-page dashboard: stores and regions, refreshed every second from the JSON API.</summary>
public static class Dashboard
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
          #status.bad { color: #c00; }
        </style>
        </head>
        <body>
        <h1>AkkaRaft</h1>
        <p id="status">loading…</p>
        <h2>Stores</h2>
        <table id="stores"><thead><tr><th>store</th><th>local</th><th>regions</th><th>leaders</th></tr></thead><tbody></tbody></table>
        <h2>Regions</h2>
        <table id="regions"><thead><tr><th>id</th><th>range</th><th>epoch</th><th>leader</th><th>replicas (store: role term commit/applied)</th><th>size</th></tr></thead><tbody></tbody></table>
        <script>
        function cell(text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; return td; }
        async function refresh() {
          try {
            const [stores, regions] = await Promise.all([fetch('/api/stores').then(r => r.json()), fetch('/api/regions').then(r => r.json())]);
            const sBody = document.querySelector('#stores tbody'); sBody.replaceChildren();
            for (const s of stores) { const tr = document.createElement('tr'); tr.append(cell(s.id), cell(s.local ? 'yes' : 'no'), cell(s.regions), cell(s.leaders)); sBody.append(tr); }
            const rBody = document.querySelector('#regions tbody'); rBody.replaceChildren();
            for (const r of regions) {
              const tr = document.createElement('tr'); tr.dataset.region = r.id;
              const replicas = r.replicas.map(x => `${x.store}: ${x.role} t${x.term} ${x.committed}/${x.applied}${x.hibernating ? ' zz' : ''}`).join(', ');
              tr.append(cell(r.id), cell(`[${r.startKey}, ${r.endKey})`), cell(r.epoch), cell(r.leaderStore || 'none', r.leaderStore ? 'leader' : ''), cell(replicas), cell(r.approximateSizeBytes));
              rBody.append(tr);
            }
            const status = document.getElementById('status');
            const ok = regions.length > 0 && regions.every(r => r.leaderStore);
            status.textContent = ok ? `healthy: ${regions.length} regions, ${stores.length} stores` : 'some regions have no leader';
            status.className = ok ? '' : 'bad';
          } catch (e) { document.getElementById('status').textContent = 'cannot reach the admin API: ' + e; }
        }
        refresh(); setInterval(refresh, 1000);
        </script>
        </body>
        </html>
        """;
}

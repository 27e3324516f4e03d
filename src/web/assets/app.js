// errand dashboard: the little the pages need a script for. Times become the viewer's zone
// ("3 min ago", UTC on hover), and the overview's jobs/s chart draws the last hour as SVG: its
// first poll of stats.json brings the hour per minute, then it adds a live point every 3 s. Data only ever reaches the page through textContent and attributes,
// never innerHTML, so nothing a job carries can become markup. Served from the dashboard itself
// under a CSP that forbids inline script.
'use strict';

(function () {
  var SVG = 'http://www.w3.org/2000/svg';
  var POLL_MS = 3000;
  var KEEP_MS = 3600000; // the chart shows the last hour

  function compact(n) {
    var abs = Math.abs(n);
    if (abs < 1000) return String(Math.round(n * 10) / 10);
    var units = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
    for (var i = 0; i < units.length; i++) {
      if (abs >= units[i][0]) return (n / units[i][0]).toFixed(abs >= units[i][0] * 100 ? 0 : 1).replace(/\.0$/, '') + units[i][1];
    }
    return String(n);
  }

  function relative(ms) {
    var s = Math.round(ms / 1000);
    var a = Math.abs(s);
    var text = a < 60 ? a + ' s' : a < 7200 ? Math.round(a / 60) + ' min' : a < 172800 ? Math.round(a / 3600) + ' h' : Math.round(a / 86400) + ' d';
    return s >= 0 ? text + ' ago' : 'in ' + text;
  }

  function localizeTimes() {
    var now = Date.now();
    var times = document.querySelectorAll('time[datetime]');
    for (var i = 0; i < times.length; i++) {
      var el = times[i];
      var at = new Date(el.getAttribute('datetime'));
      if (isNaN(at.getTime())) continue;
      var local = at.toLocaleString();
      var utc = el.getAttribute('data-utc') || el.getAttribute('title') || '';
      el.setAttribute('data-utc', utc);
      if (el.getAttribute('data-relative') === '1') {
        el.textContent = relative(now - at.getTime());
        el.setAttribute('title', local + ' · ' + utc);
      } else {
        el.textContent = local;
        el.setAttribute('title', utc);
      }
    }
  }

  function node(name, attrs, text) {
    var el = document.createElementNS(SVG, name);
    for (var k in attrs) el.setAttribute(k, String(attrs[k]));
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function draw(svg, points) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var w = 600, h = 160, pad = 4;
    var max = 1, peak = 0;
    for (var i = 0; i < points.length; i++) if (points[i].rate > peak) peak = points[i].rate;
    if (peak > max) max = peak;
    svg.appendChild(node('line', { x1: 0, y1: h - pad, x2: w, y2: h - pad, class: 'axis' }));
    // No <text> here: the SVG stretches to its box, which would distort letters (the figures are beside it).
    if (points.length > 1) {
      var first = points[0].at, span = Math.max(points[points.length - 1].at - first, 1);
      var coords = [];
      for (var j = 0; j < points.length; j++) {
        coords.push(((points[j].at - first) / span * w).toFixed(1) + ',' + (h - pad - points[j].rate / max * (h - 2 * pad - 16)).toFixed(1));
      }
      svg.appendChild(node('polyline', { points: coords.join(' '), class: 'line' }));
    }
    svg.setAttribute('data-points', String(points.length));
    svg.setAttribute('data-peak', String(peak));
  }

  function setFigures(figures) {
    var cells = document.querySelectorAll('[data-figure]');
    for (var i = 0; i < cells.length; i++) {
      var key = cells[i].getAttribute('data-figure');
      if (typeof figures[key] !== 'number') continue;
      var target = cells[i].querySelector('a') || cells[i];
      target.textContent = compact(figures[key]);
      cells[i].setAttribute('title', String(figures[key]));
    }
  }

  function startChart(svg) {
    var src = svg.getAttribute('data-src');
    var toggle = document.getElementById('chart-toggle');
    var rateText = document.getElementById('chart-rate');
    var points = [];
    var last = null;
    var history = true; // the first answer also carries the last hour, per minute
    var paused = false;
    var timer = null;
    function poll() {
      timer = null;
      fetch(history ? src + (src.indexOf('?') < 0 ? '?' : '&') + 'history=1' : src, { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (f) {
          if (history && Array.isArray(f.history)) {
            history = false;
            for (var h = 0; h < f.history.length; h++) {
              var p = f.history[h];
              if (p && typeof p.at === 'number' && typeof p.rate === 'number') points.push({ at: p.at, rate: Math.max(0, p.rate) });
            }
            svg.setAttribute('data-history', String(points.length));
          }
          var rate = null;
          if (last && f.at > last.at) {
            rate = Math.max(0, (f.processed - last.processed) / ((f.at - last.at) / 1000));
            points.push({ at: f.at, rate: rate });
          }
          while (points.length && points[0].at < f.at - KEEP_MS) points.shift();
          var peak = 0;
          for (var i = 0; i < points.length; i++) if (points[i].rate > peak) peak = points[i].rate;
          if (points.length) rateText.textContent = (rate !== null ? compact(rate) + ' jobs/s now, ' : '') + 'peak ' + compact(peak) + ' in the last hour';
          last = f;
          setFigures(f);
          draw(svg, points);
        })
        .catch(function () { rateText.textContent = 'cannot reach the dashboard; retrying'; })
        .then(function () { if (!paused) timer = setTimeout(poll, POLL_MS); });
    }
    toggle.addEventListener('click', function () {
      paused = !paused;
      toggle.textContent = paused ? 'Resume' : 'Pause';
      toggle.setAttribute('aria-pressed', paused ? 'true' : 'false');
      if (paused && timer) { clearTimeout(timer); timer = null; }
      if (!paused && !timer) poll();
    });
    draw(svg, points);
    poll();
  }

  document.addEventListener('DOMContentLoaded', function () {
    localizeTimes();
    setInterval(localizeTimes, 30000);
    var svg = document.getElementById('chart');
    if (svg) startChart(svg);
    // A job look-up that answered "still looking" goes on by itself (the link works without script).
    var more = document.getElementById('keep-looking');
    if (more && more.getAttribute('href')) setTimeout(function () { location.replace(more.getAttribute('href')); }, 50);
  });
})();

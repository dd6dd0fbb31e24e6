// Draws the charts of the page (the JSON in #chart-data) with uPlot, then
// tags each series' legend row with its first and last plotted points
// (see the package comment of internal/charts).
(function () {
  "use strict";
  var t0 = performance.now();
  var specs = JSON.parse(document.getElementById("chart-data").textContent);
  var palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"];

  function unit(v, base, units) {
    var a = Math.abs(v), i = 0;
    while (a >= base && i < units.length - 1) { a /= base; v /= base; i++; }
    return (+v.toPrecision(3)) + units[i];
  }
  var formats = {
    "": function (v) { return Math.abs(v) >= 1e4 ? unit(v, 1000, ["", "k", "M", "G", "T"]) : +v.toPrecision(4) + ""; },
    bytes: function (v) { return unit(v, 1024, [" B", " KiB", " MiB", " GiB", " TiB"]); },
    ns: function (v) { return unit(v, 1000, ["ns", "µs", "ms", "s"]); },
    percentile: function (v) { return +(100 * (1 - 1 / v)).toPrecision(6) + "%"; },
    time: function (v) { return utcText(utcDate(v)); }
  };
  // Times are Unix seconds, shown in UTC.
  function utcDate(v) { return uPlot.tzDate(new Date(v * 1e3), "Etc/UTC"); }
  var utcText = uPlot.fmtDate("{YYYY}-{MM}-{DD} {HH}:{mm}:{ss}.{fff} UTC");
  function fmt(name) { return formats[name] || formats[""]; }

  function seriesOpts(spec, s, i) {
    var color = s.color || palette[i % palette.length];
    var o = { label: s.label, stroke: color, width: 2, spanGaps: spec.kind !== "bars" || s.dash };
    o.value = function (u, v) { return v == null ? "-" : fmt(spec.yFormat)(v); };
    if (s.dash) { o.dash = [6, 4]; o.points = { show: false }; }
    if (spec.kind === "steps") { o.paths = uPlot.paths.stepped({ align: 1 }); }
    if (spec.kind === "bars" && !s.dash) {
      o.paths = uPlot.paths.bars({ size: [0.7, 80] });
      o.fill = color;
      o.points = { show: false };
    }
    return o;
  }

  function axisValues(spec, which) {
    if (which === "x" && spec.kind === "bars") {
      return function (u, splits) {
        return splits.map(function (v) { return Number.isInteger(v) && spec.categories[v] != null ? spec.categories[v] : ""; });
      };
    }
    var f = fmt(which === "x" ? spec.xFormat : spec.yFormat);
    return function (u, splits) { return splits.map(function (v) { return v == null ? "" : f(v); }); };
  }

  function options(spec, width) {
    var series = [{ label: spec.xLabel, value: function (u, v) { return v == null ? "-" : spec.kind === "bars" ? spec.categories[v] : fmt(spec.xFormat)(v); } }];
    spec.series.forEach(function (s, i) { series.push(seriesOpts(spec, s, i)); });
    var timed = spec.xFormat === "time";
    var x = { time: timed, distr: spec.xLog ? 3 : 1 };
    if (spec.kind === "bars") {
      var n = spec.categories.length;
      x.range = function () { return [-0.5, n - 0.5]; };
    }
    var y = { distr: spec.yLog ? 3 : 1 };
    if (!spec.yLog) { y.range = function (u, min, max) { return [Math.min(0, min), max > 0 ? max * 1.08 : 1]; }; }
    var xAxis = { label: spec.xLabel };
    if (!timed) { xAxis.values = axisValues(spec, "x"); }
    if (spec.kind === "bars") { xAxis.splits = function () { return spec.categories.map(function (c, i) { return i; }); }; }
    return {
      title: spec.title, width: width, height: 300, series: series, tzDate: utcDate,
      scales: { x: x, y: y },
      axes: [xAxis, { label: spec.yLabel, values: axisValues(spec, "y"), size: 80 }],
      cursor: { points: { show: false } }
    };
  }

  function pagePos(u, x, y) {
    var r = u.over.getBoundingClientRect();
    return [Math.round(r.left + window.scrollX + u.valToPos(x, "x")), Math.round(r.top + window.scrollY + u.valToPos(y, "y"))];
  }

  // tag writes the data attributes of the chart and its series.
  function tag(u, spec, el) {
    var r = u.over.getBoundingClientRect();
    el.dataset.area = [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height].map(Math.round).join(",");
    var rows = u.root.querySelectorAll(".u-legend .u-series");
    var xs = u.data[0];
    spec.series.forEach(function (s, i) {
      var ys = u.data[i + 1], first = -1, last = -1;
      for (var j = 0; j < xs.length; j++) {
        if (ys[j] != null) { if (first < 0) { first = j; } last = j; }
      }
      var row = rows[i + 1] || el;
      row.dataset.series = s.tag;
      if (first < 0) { return; }
      [["first", first], ["last", last]].forEach(function (p) {
        var j = p[1], pos = pagePos(u, xs[j], ys[j]);
        row.dataset[p[0]] = [xs[j], ys[j], pos[0], pos[1]].join(",");
      });
    });
  }

  var pending = specs.length;
  function done() {
    pending--;
    if (pending > 0) { return; }
    document.querySelectorAll("[data-picture]").forEach(function (el) {
      var r = el.getBoundingClientRect();
      el.dataset.area = [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height].map(Math.round).join(",");
    });
    document.body.dataset.renderMs = (performance.now() - t0).toFixed(1);
    document.body.dataset.height = document.documentElement.scrollHeight;
  }
  specs.forEach(function (spec) {
    var el = document.getElementById(spec.id);
    var opts = options(spec, Math.min(el.clientWidth || 900, 940));
    var tagged = false;
    opts.hooks = { draw: [function (u) { if (!tagged) { tagged = true; tag(u, spec, el); done(); } }] };
    try {
      new uPlot(opts, spec.data, el);
    } catch (e) {
      // One chart that cannot be drawn leaves the others drawn, and says so.
      el.dataset.error = String(e);
      el.textContent = "This chart could not be drawn: " + e;
      if (!tagged) { tagged = true; done(); }
    }
  });
  if (specs.length === 0) { pending = 1; done(); }
})();

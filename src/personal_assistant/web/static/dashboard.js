// Live updates: one EventSource (htmx's SSE extension on #live-source) tells the page that
// jobs moved; regions marked hx-trigger="pa:change from:body" fetch themselves again.
// Hidden tabs disconnect; without EventSource, or when it keeps failing, poll instead.
(function () {
  "use strict";
  var POLL_MS = 5000;
  var poller = null;
  var failures = 0;
  var stash = null;

  function setState(state) {
    var el = document.getElementById("live-state");
    if (el) { el.textContent = state; el.dataset.state = state; }
  }
  function changed() { htmx.trigger(document.body, "pa:change"); }
  function source() { return document.getElementById("live-source"); }

  function startPolling() {
    var el = source();
    if (el) { htmx.remove(el); }
    if (!poller) {
      poller = setInterval(function () { if (!document.hidden) { changed(); } }, POLL_MS);
    }
    setState("polling");
  }

  // Whatever moved between the page's rendering and the stream's opening (or while it
  // was reconnecting) sent no event to this page: catch up once on every open.
  document.addEventListener("htmx:sseOpen", function () { failures = 0; setState("live"); changed(); });
  document.addEventListener("htmx:sseMessage", function (event) {
    if (event.detail && event.detail.type === "change") { changed(); }
  });
  document.addEventListener("htmx:sseError", function () {
    failures += 1;
    if (failures >= 3) { startPolling(); }
  });

  document.addEventListener("visibilitychange", function () {
    if (poller) { setState(document.hidden ? "paused" : "polling"); return; }
    var el = source();
    if (document.hidden && el) {
      stash = el.cloneNode(false);
      htmx.remove(el);  // closes the EventSource
      setState("paused");
    } else if (!document.hidden && !el && stash) {
      document.body.insertBefore(stash, document.getElementById("main"));
      htmx.process(stash);
      stash = null;  // the stream's opening catches up on what happened meanwhile
    }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
    if (event.key === "/" && !typing) {
      var search = document.getElementById("arg-filter") || document.querySelector("form[role=search] input");
      if (search) { event.preventDefault(); search.focus(); }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.EventSource) { startPolling(); }
  });
})();
